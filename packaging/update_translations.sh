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

# xgettext 0.21 does not look inside f-strings, so f"{_('synced')} {when}" would be lost: add the
# _()/N_()/ngettext() calls found inside f-strings (Python's own parser finds them) and merge them in.
FSTRINGS=$(mktemp)
trap 'rm -f "$FSTRINGS"' EXIT
PYTHON=${PYTHON:-$(if [ -x .venv/bin/python ]; then echo .venv/bin/python; else echo python3; fi)}
# shellcheck disable=SC2086  # one argument per file
"$PYTHON" - "$FSTRINGS" $FILES <<'EOF'
import ast
import sys


def quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


entries = []
seen: set[str] = set()
for path in sys.argv[2:]:
    tree = ast.parse(open(path, encoding="utf-8").read(), filename=path)
    for fstring in (node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)):
        for call in (node for node in ast.walk(fstring) if isinstance(node, ast.Call)):
            name = call.func.id if isinstance(call.func, ast.Name) else ""
            texts = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            wanted = 2 if name == "ngettext" else 1
            if name in ("_", "N_", "ngettext") and len(texts) >= wanted and texts[0] not in seen:
                seen.add(texts[0])  # msgcat refuses a file that defines a message twice
                entries.append((path, call.lineno, texts[:wanted]))
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n')
    for path, line, texts in entries:
        out.write(f"\n#: {path}:{line}\n")
        if "{" in "".join(texts):
            out.write("#, python-brace-format\n")
        out.write(f"msgid {quoted(texts[0])}\n")
        if len(texts) == 2:
            out.write(f'msgid_plural {quoted(texts[1])}\nmsgstr[0] ""\nmsgstr[1] ""\n')
        else:
            out.write('msgstr ""\n')
EOF
msgcat --use-first --sort-by-file --no-wrap -o "$POT" "$POT" "$FSTRINGS"

for po in "$TRANSLATIONS"/*/LC_MESSAGES/kontor.po; do
    [ -e "$po" ] || continue
    msgmerge --quiet --update --backup=none --no-fuzzy-matching --no-wrap "$po" "$POT"
    msgattrib --no-obsolete --no-wrap --output-file="$po" "$po"
    msgfmt --check --output-file="${po%.po}.mo" "$po"
    printf '%s: ' "$po"
    msgfmt --statistics --output-file=/dev/null "$po"
done
