#!/usr/bin/env bash
# `make run`: prepare the database, then serve the site and run a django-q2 worker side by side.
# Ctrl-C (or either process ending) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
VENV_STAMP=.venv/.installed-stamp
PORT="${PORT:-8000}"

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
"$PY" manage.py qcluster </dev/null &
pids+=($!)
"$PY" manage.py runserver "127.0.0.1:$PORT" </dev/null &
pids+=($!)
set +m

echo "Anju: http://127.0.0.1:$PORT/  (back office: http://127.0.0.1:$PORT/admin/)  Ctrl-C stops the server and the worker."
status=0
wait -n || status=$?
echo "run-dev: a process ended (exit $status); stopping the other one." >&2
exit "$status"
