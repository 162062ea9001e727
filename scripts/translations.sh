#!/usr/bin/env bash
# Chinese (zh-hans) catalogue of Anju's own strings: locale/zh_Hans/LC_MESSAGES/django.po.
#
#   scripts/translations.sh            update the .po from the code, then check and compile it
#   scripts/translations.sh update     makemessages only: new msgids arrive with an empty msgstr
#   scripts/translations.sh compile    check placeholders and compile the .po into django.mo
#   scripts/translations.sh check      list untranslated and fuzzy entries; exit 1 if there are any
#
# After `update`, translate every empty msgstr (and remove any "fuzzy" flag after checking the
# text), then run `compile` and commit both django.po and django.mo.
# tests/accounts/test_translations.py fails while a msgid of ours has no translation.
# English needs no catalogue: the msgids are English.
#
# locale_overrides/zh_Hans/LC_MESSAGES/django.po is a second, hand-kept catalogue: Chinese for Django's
# and Wagtail's own strings that their zh_Hans catalogues leave untranslated ("Go to the first error"…).
# makemessages never touches it; `compile` checks and compiles it too (settings.LOCALE_PATHS lists it
# after locale/, so our own catalogue wins where both have a msgid).
#
# Needs GNU gettext (msgfmt, xgettext, msgmerge, msgattrib): apt-get install gettext.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
LOCALE=zh_Hans
PO=locale/$LOCALE/LC_MESSAGES/django.po
OVERRIDES_PO=locale_overrides/$LOCALE/LC_MESSAGES/django.po
# Scan only our apps and templates: never the virtualenv, collected static files or runtime data.
IGNORE=(--ignore ".venv/*" --ignore "staticfiles/*" --ignore "node_modules/*" --ignore "var/*" --ignore "media/*"
    --ignore "tests/*" --ignore "benchmarks/*" --ignore "locale_overrides/*")

for tool in msgfmt xgettext msgmerge msgattrib; do
    command -v "$tool" >/dev/null 2>&1 || { echo "translations.sh: $tool not found (apt-get install gettext)" >&2; exit 1; }
done

update() {
    "$PY" manage.py makemessages -l "$LOCALE" "${IGNORE[@]}" --no-obsolete
}

check() {
    local untranslated fuzzy
    untranslated="$(msgattrib --untranslated --no-obsolete --no-wrap "$PO" | grep -c '^msgid ' || true)"
    fuzzy="$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$PO" | grep -c '^msgid ' || true)"
    # msgattrib prints the header entry too whenever it prints anything.
    [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
    [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
    msgfmt --check-format --check-header --statistics -o /dev/null "$PO"
    if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
        echo "translations.sh: $untranslated untranslated, $fuzzy fuzzy in $PO:" >&2
        msgattrib --untranslated --no-obsolete --no-wrap "$PO" | grep '^msgid ' | tail -n +2 >&2 || true
        msgattrib --only-fuzzy --no-obsolete --no-wrap "$PO" | grep '^msgid ' | tail -n +2 >&2 || true
        return 1
    fi
}

compile() {
    msgfmt --check-format --check-header -o /dev/null "$PO"
    msgfmt --check-format --check-header -o /dev/null "$OVERRIDES_PO"
    # Compiles every catalogue in settings.LOCALE_PATHS: locale/ and locale_overrides/.
    "$PY" manage.py compilemessages -l "$LOCALE" --ignore ".venv/*"
}

case "${1:-all}" in
    update) update ;;
    compile) compile ;;
    check) check ;;
    all)
        update
        compile
        check
        ;;
    *)
        echo "usage: $0 [update|compile|check]" >&2
        exit 2
        ;;
esac
