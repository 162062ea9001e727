#!/bin/bash
# Quick page-speed check of issue 16 item 2 (docs/caching.md, docs/benchmarks.md "Page caching"):
# gunicorn with 2 workers and production settings on 127.0.0.1:8765, wrk with 8 connections for
# SECONDS per page; the owner 13800000001 of seed_demo signed in by a session made here, with the
# CSRF cookie a browser would send. benchmarks/load.py is the full measurement.
#   DATABASE_URL=postgres://…/db benchmarks/pages_wrk.sh [SECONDS]    (REDIS_URL=… to use Redis)
# The database needs `manage.py migrate` and `manage.py seed_demo` (with dev settings) first.
set -u
SECS=${1:-10}
export DJANGO_SETTINGS_MODULE=config.settings.production
export SECRET_KEY=${SECRET_KEY:-pages-wrk-secret-key-not-for-production-0123456789}
export ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=False
cd "$(dirname "$0")/.."
[ -n "${REDIS_URL:-}" ] && redis-cli -u "$REDIS_URL" flushdb >/dev/null
.venv/bin/python manage.py collectstatic --noinput -v0 >/dev/null 2>&1
read -r SESSION CASE_STUDY < <(.venv/bin/python - 2>/dev/null <<'PY'
import django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts.models import User
from cms.models import CaseStudyPage
user = User.objects.get(mobile="13800000001")
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.save()
print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}", CaseStudyPage.objects.live().first().url)
PY
)
.venv/bin/gunicorn config.wsgi -w 2 -b 127.0.0.1:8765 --preload --log-level warning &
GPID=$!
trap 'kill $GPID' EXIT
for _ in $(seq 1 240); do [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8765/healthz)" = 200 ] && break; sleep 0.5; done
CSRF=$(curl -s -o /dev/null -c - -H "Cookie: $SESSION" http://127.0.0.1:8765/portal/ | awk '$6=="csrftoken"{print $7}')
OWNER="$SESSION; csrftoken=$CSRF"
echo "| page | who | req/s | p99 | errors |"
echo "|---|---|---:|---:|---|"
bench() { # path [cookie]
  local headers=() who=anonymous
  if [ -n "${2:-}" ]; then headers=(-H "Cookie: $2"); who=owner; fi
  for _ in 1 2 3 4 5 6; do curl -s -o /dev/null "${headers[@]}" "http://127.0.0.1:8765$1"; done  # both workers warm
  local out rps p99 errors
  out=$(wrk -t2 -c8 -d"${SECS}"s --latency "${headers[@]}" "http://127.0.0.1:8765$1")
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}'); p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  errors=$(echo "$out" | grep -E "Non-2xx|Socket errors" | tr -s ' ' | tr '\n' ' ')
  echo "| $1 | $who | $rps | $p99 | ${errors:-0} |"
}
bench /healthz
bench /
bench "$CASE_STUDY"
bench "/search/?q=%E7%94%B5%E6%A2%AF"
bench /portal/ "$OWNER"
bench /portal/bills/ "$OWNER"
bench /healthz
python3 -c "import os; print('load average %.1f / %.1f / %.1f' % os.getloadavg())"
