#!/usr/bin/env bash
# `make test`, after the checks: the pytest suite on SQLite and on PostgreSQL, both passes at once.
#
# Every test runs in `make test`. Tests whose outcome does not depend on the database backend
# (marker `one_pass`: the browser journeys in tests/e2e/ including the `make run` payment, the
# Chinese-throughout and link crawls, receipt PDFs, the translation catalogues, the tooling checks)
# run once, in the PostgreSQL pass (the production database); the SQLite pass deselects them
# (ANJU_ONE_PASS_ELSEWHERE=1). When there is no PostgreSQL (outside CI), the SQLite pass runs them.
# Tests marked `slow` (the 100k-row import, ...) run here too; a developer can leave them out of
# a run with PYTEST_ARGS='-m "not slow"'.
#
# Under CI=true both passes are mandatory: PostgreSQL (and Redis, which some tests use) are
# started when they are down, and the run fails when they stay down. Outside CI a missing
# PostgreSQL skips the second pass with a loud message. pytest's exit code 5 ("no tests were
# collected") counts as a failure: a run that tests nothing must never pass.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_TEST_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
XDIST_WORKERS="${PYTEST_WORKERS:-2}"
# The PostgreSQL pass has one worker more: its workers wait on the server, on Chromium and on `make
# run` more than they compute, and it runs on alone after the SQLite pass. (A worker costs no
# migration: each copies the run's template database, tests/db_template.py.)
PG_WORKERS="${PYTEST_PG_WORKERS:-$((XDIST_WORKERS + 1))}"
read -r -a EXTRA_ARGS <<<"${PYTEST_ARGS:-}"

case "${CI:-}" in true | TRUE | True | 1 | yes) IN_CI=1 ;; *) IN_CI=0 ;; esac

LOG_DIR="$(mktemp -d)"
trap 'rm -rf "$LOG_DIR"' EXIT

banner() { printf '\n==== %s ====\n' "$*"; }
loud() { printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! %s\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' "$*" >&2; }

# host and port of a URL, e.g. "127.0.0.1 5432"
host_port() {
    "$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname or "127.0.0.1", p.port or int(sys.argv[2]))' "$1" "$2"
}

postgres_up() {
    local host port
    read -r host port <<<"$(host_port "$PG_URL" 5432)"
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$host" -p "$port"
    else
        "$PY" -c 'import sys, psycopg; psycopg.connect(host=sys.argv[1], port=sys.argv[2], user="postgres", dbname="postgres", connect_timeout=3).close()' "$host" "$port" 2>/dev/null
    fi
}

start_postgres() {
    command -v pg_ctlcluster >/dev/null 2>&1 || return 1
    local version
    for version in $(ls /etc/postgresql 2>/dev/null); do
        echo "Starting PostgreSQL $version/main ..."
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 30); do postgres_up && return 0; sleep 0.5; done
    return 1
}

redis_up() {
    "$PY" -c 'import sys, redis; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()' "$REDIS_TEST_URL" 2>/dev/null
}

start_redis() {
    command -v redis-server >/dev/null 2>&1 || return 1
    local host port
    read -r host port <<<"$(host_port "$REDIS_TEST_URL" 6379)"
    echo "Starting Redis on $host:$port ..."
    if [ -f /etc/redis/redis.conf ]; then
        redis-server /etc/redis/redis.conf --daemonize yes --bind "$host" --port "$port" >/dev/null || true
    else
        redis-server --daemonize yes --bind "$host" --port "$port" >/dev/null || true
    fi
    for _ in $(seq 1 20); do redis_up && return 0; sleep 0.5; done
    return 1
}

SUMMARIES=()
FAILED=0

# start_pass LABEL WORKERS [VAR=value ...]: the whole suite with the given environment, in the background;
# its output goes to $LOG_DIR/LABEL.log and its exit code to $LOG_DIR/LABEL.rc.
start_pass() {
    local label="$1" workers="$2"
    shift 2
    (
        env "$@" "$PY" -m pytest -p no:cacheprovider -n "$workers" "${EXTRA_ARGS[@]}" >"$LOG_DIR/$label.log" 2>&1
        echo $? >"$LOG_DIR/$label.rc"
    ) &
}

# report_pass LABEL: print the pass's output and add its line to the summary.
report_pass() {
    local label="$1"
    local log="$LOG_DIR/$label.log"
    banner "pytest on $label"
    cat "$log"
    local rc
    rc="$(cat "$LOG_DIR/$label.rc" 2>/dev/null || echo 1)"
    local summary
    summary="$(grep -E '(passed|failed|error|errors|skipped|xfailed|xpassed|deselected|no tests ran).* in [0-9.]+s' "$log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')"
    [ -n "$summary" ] || summary="(no summary line; pytest exit code $rc)"
    local kept=-1 moved=0
    [ -f "$LOG_DIR/$label.one-pass" ] && read -r kept moved <"$LOG_DIR/$label.one-pass"
    if [ "$rc" -eq 5 ] && [ "$kept" -eq 0 ] && [ "$moved" -gt 0 ]; then
        # A narrowed run (PYTEST_ARGS) whose tests all run in the other pass (one_pass): that pass
        # runs them (and fails with exit code 5 in turn if it collects nothing).
        SUMMARIES+=("$label: nothing to run: the $moved selected tests are one_pass, run in the other pass")
    elif [ "$rc" -eq 5 ]; then
        loud "pytest on $label ran NO tests (exit code 5: nothing collected, or the workers died before collecting): treated as a failure."
        SUMMARIES+=("$label: FAILED, no tests collected")
        FAILED=1
    elif [ "$rc" -ne 0 ]; then
        SUMMARIES+=("$label: FAILED (exit $rc): $summary")
        FAILED=1
    else
        SUMMARIES+=("$label: ok: $summary")
    fi
    if [ "$kept" -gt 0 ] && [ "$moved" -gt 0 ]; then
        SUMMARIES+=("  ($label: $moved one_pass tests left to the other pass)")
    fi
}

# Redis: some tests check the shared cache against a real server.
if ! redis_up; then
    if [ "$IN_CI" -eq 1 ]; then
        start_redis || { loud "CI: Redis at $REDIS_TEST_URL is not reachable and could not be started."; exit 1; }
    else
        start_redis || loud "Redis at $REDIS_TEST_URL is not reachable: the tests that need it will be SKIPPED."
    fi
fi

# Is there a PostgreSQL pass? (Under CI a stopped server is started; outside CI it is optional.)
HAVE_POSTGRES=0
if postgres_up || { [ "$IN_CI" -eq 1 ] && start_postgres; }; then
    HAVE_POSTGRES=1
fi

# The two passes run at the same time ($XDIST_WORKERS and $PG_WORKERS workers): much of a pass is waiting
# (PostgreSQL round trips, browsers, servers starting), so together they finish in about the time of
# the longer one instead of the sum (measured on this 2-core machine: docs/benchmarks.md).
# Pass 1: SQLite (the default database, in memory for tests). ANJU_TEST_PASS tells
# PostgreSQL-only tests that they run in the PostgreSQL pass, so here they skip even in CI.
# The `one_pass` tests are left to the PostgreSQL pass when there is one, but for a few
# (ONE_PASS_IN_SQLITE in tests/conftest.py) that even out the two passes.
STARTED=$SECONDS
banner "pytest on sqlite$([ "$HAVE_POSTGRES" -eq 1 ] && echo ' and postgresql at the same time') (output follows when done)"
start_pass sqlite "$XDIST_WORKERS" -u DATABASE_URL ANJU_TEST_PASS=sqlite ANJU_ONE_PASS_ELSEWHERE="$HAVE_POSTGRES" \
    ANJU_ONE_PASS_REPORT="$LOG_DIR/sqlite.one-pass"

# Pass 2: PostgreSQL. pytest-django creates test_<name> databases (one per xdist worker).
if [ "$HAVE_POSTGRES" -eq 1 ]; then
    start_pass postgresql "$PG_WORKERS" -u ANJU_ONE_PASS_ELSEWHERE DATABASE_URL="$PG_URL" ANJU_TEST_PASS=postgresql \
        ANJU_ONE_PASS_IN_SQLITE=1 ANJU_ONE_PASS_REPORT="$LOG_DIR/postgresql.one-pass"
fi
wait
report_pass sqlite
if [ "$HAVE_POSTGRES" -eq 1 ]; then
    report_pass postgresql
elif [ "$IN_CI" -eq 1 ]; then
    loud "CI: PostgreSQL at $PG_URL is not reachable and could not be started."
    SUMMARIES+=("postgresql: FAILED, server not reachable")
    FAILED=1
else
    loud "PostgreSQL at $PG_URL is not reachable: the PostgreSQL pass is SKIPPED (CI=true makes this an error)."
    SUMMARIES+=("postgresql: SKIPPED, server not reachable")
fi
SUMMARIES+=("wall time of the passes: $(((SECONDS - STARTED) / 60)) min $(((SECONDS - STARTED) % 60)) s")

banner "test summary"
printf '  %s\n' "${SUMMARIES[@]}"
exit "$FAILED"
