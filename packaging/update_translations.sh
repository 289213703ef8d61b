#!/bin/sh
# Extract every _()/N_()/ngettext() string into kontor.pot, merge it into each language's kontor.po and
# compile kontor.mo. Needs GNU gettext (Debian: apt-get install gettext). New msgids arrive untranslated
# (and tests/views/test_translations.py fails) until someone translates them in the .po file.
set -eu
cd "$(dirname "$0")/.."

TRANSLATIONS=resources/translations
POT="$TRANSLATIONS/kontor.pot"
FILES=$( { git ls-files 'app/*.py'; ls app/views/*.py; } | sort -u )

# shellcheck disable=SC2086  # one argument per file
xgettext --language=Python --keyword=_ --keyword=N_ --keyword=ngettext:1,2 --from-code=UTF-8 \
    --package-name=Kontor --msgid-bugs-address= --sort-by-file --no-wrap -o "$POT" $FILES

for po in "$TRANSLATIONS"/*/LC_MESSAGES/kontor.po; do
    [ -e "$po" ] || continue
    msgmerge --quiet --update --backup=none --no-fuzzy-matching --no-wrap "$po" "$POT"
    msgattrib --no-obsolete --no-wrap --output-file="$po" "$po"
    msgfmt --check --output-file="${po%.po}.mo" "$po"
    printf '%s: ' "$po"
    msgfmt --statistics --output-file=/dev/null "$po"
done
