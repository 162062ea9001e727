#!/usr/bin/env bash
# `make run`: prepare the database, then serve the site and run a django-q2 worker side by side.
# Without a STRIPE_SECRET_KEY, the local fake Stripe (test mode, billing/fake_stripe.py) runs beside
# them and the app is pointed at it, so that paying a bill works out of the box; with a real key it
# is not started. Ctrl-C (or any process ending) stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${ANJU_DEV_PYTHON:-.venv/bin/python}"  # overridable for tests/test_tooling.py
VENV_STAMP=.venv/.installed-stamp
PORT="${PORT:-8000}"
FAKE_STRIPE_PORT="${FAKE_STRIPE_PORT:-12111}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"

use_fake_stripe=0
if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
    # The fake's test values (billing/fake_stripe.py); production settings refuse them.
    use_fake_stripe=1
    export STRIPE_SECRET_KEY=sk_test_anju_fake
    export STRIPE_PUBLISHABLE_KEY=pk_test_anju_fake
    export STRIPE_WEBHOOK_SECRET=whsec_anju_test_secret
    export STRIPE_API_BASE="http://127.0.0.1:$FAKE_STRIPE_PORT"
fi

# collectstatic hashes and compresses every file (half a minute): only when something changed since.
manifest=staticfiles/staticfiles.json
if [ ! -f "$manifest" ] || [ -n "$(find static ./*/static "$VENV_STAMP" -newer "$manifest" -print -quit 2>/dev/null)" ]; then
    echo "Collecting static files ..."
    "$PY" manage.py collectstatic --noinput --verbosity 0
fi

# migrate, then seed_demo (it loads demo data into an empty database and prints the demo logins, and
# leaves existing data alone); on later runs print the logins again if they exist. One process: each
# Django start-up costs seconds.
"$PY" manage.py shell --no-imports -c '
from django.core.management import call_command

call_command("migrate", interactive=False)

from accounts.models import User
from estates.demo import DEMO_LOGINS, demo_logins_text
from estates.models import Estate

seeded_before = Estate.objects.exists()
call_command("seed_demo")
if seeded_before and User.objects.filter(mobile=DEMO_LOGINS[0][0]).exists():
    print(demo_logins_text())
'

pids=()
stop_all() {
    trap - INT TERM EXIT
    local pid
    # Each child leads its own process group (set -m below). The group leader first, so that
    # qcluster stops its workers gracefully; then whatever is left of the group (the autoreloader's
    # child of runserver); KILL after 15 s.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 75); do
        local alive=0
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && { alive=1; continue; }
            kill -TERM -- "-$pid" 2>/dev/null && alive=1
        done
        [ "$alive" -eq 0 ] && return 0
        sleep 0.2
    done
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

set -m
if [ "$use_fake_stripe" -eq 1 ]; then
    "$PY" manage.py fake_stripe --port "$FAKE_STRIPE_PORT" --webhook-url "http://127.0.0.1:$PORT/billing/stripe/webhook/" </dev/null &
    pids+=($!)
fi
"$PY" manage.py qcluster </dev/null &
pids+=($!)
# RUNSERVER_ARGS, e.g. --noreload (the browser test of `make run` uses it: a tree that others edit
# would restart the server under it).
read -r -a runserver_args <<<"${RUNSERVER_ARGS:-}"
"$PY" manage.py runserver "${runserver_args[@]}" "127.0.0.1:$PORT" </dev/null &
pids+=($!)
set +m

if [ "$use_fake_stripe" -eq 1 ]; then
    echo "Payments: no STRIPE_SECRET_KEY is set, so a local fake Stripe runs in TEST MODE on $STRIPE_API_BASE (no real money moves)."
fi
echo "Anju: http://127.0.0.1:$PORT/  (back office: http://127.0.0.1:$PORT/admin/)  Ctrl-C stops the server and the worker."
status=0
wait -n || status=$?
echo "run-dev: a process ended (exit $status); stopping the other one." >&2
exit "$status"
