#!/usr/bin/env bash
# The restore drill (docs/deploy.md, "Backups"): back up a PostgreSQL database with pg_dump, restore the dump into a
# fresh database, and prove the copy is the same money: the app starts on it (no migration missing), and the money
# summary (bills, payments, refunds, ledger balances, receipts and their numbering; `manage.py money_summary`) is
# identical to the source's.
#
#   scripts/restore-drill.sh SOURCE_DATABASE_URL TARGET_DATABASE_NAME [DUMP_FILE]
#
# The target database is dropped first if it exists. DUMP_FILE: when it names an existing backup (pg_dump --format=custom)
# the drill restores that backup instead of making a new one — and then fails if the live source has changed since, as
# it should; when it names no file, the new dump is kept there; without it the dump is a temporary file.
# Exit 0 when the restored copy matches; 1 otherwise. Needs pg_dump, pg_restore, dropdb and createdb
# (postgresql-client).
set -euo pipefail
cd "$(dirname "$0")/.."

SOURCE_URL="${1:?source database URL, e.g. postgres://postgres@127.0.0.1:5432/anju}"
TARGET_DB="${2:?name of the database to restore into}"
PY=.venv/bin/python
DUMP="${3:-}"
cleanup=""
if [ -z "$DUMP" ]; then
    DUMP="$(mktemp --suffix=.dump)"
    cleanup="$DUMP"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK" ${cleanup:+"$cleanup"}' EXIT

# The target lives on the source's server: same host, port and user.
TARGET_URL="$("$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$SOURCE_URL" "$TARGET_DB")"
ADMIN_URL="$("$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/postgres")))' "$SOURCE_URL")"

if [ -s "$DUMP" ] && [ -z "$cleanup" ]; then
    echo "restore-drill: restoring the existing backup $DUMP ..."
else
    echo "restore-drill: dumping the source database ..."
    pg_dump --format=custom --no-owner --file="$DUMP" "$SOURCE_URL"
fi
echo "restore-drill: restoring into $TARGET_DB ..."
dropdb --if-exists --maintenance-db="$ADMIN_URL" "$TARGET_DB"
createdb --maintenance-db="$ADMIN_URL" "$TARGET_DB"
pg_restore --no-owner --exit-on-error --dbname="$TARGET_URL" "$DUMP"

echo "restore-drill: the app starts on the copy ..."
DATABASE_URL="$TARGET_URL" "$PY" manage.py check
DATABASE_URL="$TARGET_URL" "$PY" manage.py migrate --check >/dev/null || {
    echo "restore-drill: the restored database lacks migrations" >&2
    exit 1
}

DATABASE_URL="$SOURCE_URL" "$PY" manage.py money_summary >"$WORK/source.json"
DATABASE_URL="$TARGET_URL" "$PY" manage.py money_summary >"$WORK/target.json"
if ! diff -u "$WORK/source.json" "$WORK/target.json"; then
    echo "restore-drill: FAILED: the restored money differs from the source" >&2
    exit 1
fi
if ! grep -q '"ledger_balances": true' "$WORK/target.json"; then
    echo "restore-drill: FAILED: the restored ledger does not balance" >&2
    exit 1
fi
echo "restore-drill: OK: $(grep -c '"bills"' "$WORK/target.json") estate(s) with bills; money, ledger and receipt numbering identical"
