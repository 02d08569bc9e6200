#!/usr/bin/env bash
# Re-extract UI strings into messages.pot and merge them into every language's catalog.
# New strings arrive empty in each .po; `liaison i18n check` fails until they are translated.
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel extract -F locales/babel.cfg -k N_ -k _ -k ngettext:1,2 -k pgettext:1c,2 \
  --no-location --sort-output --omit-header -o locales/messages.pot .
for lang in en es fr ar zh_Hans vi ht ru pt so; do
  po="locales/$lang/LC_MESSAGES/messages.po"
  if [ -f "$po" ]; then
    pybabel update --no-fuzzy-matching --ignore-obsolete -l "$lang" -D messages \
      -i locales/messages.pot -o "$po"
  else
    pybabel init -l "$lang" -D messages -i locales/messages.pot -o "$po"
  fi
done
# English is the source language: its catalog mirrors the msgids.
python - <<'PY'
from babel.messages.pofile import read_po, write_po
path = "locales/en/LC_MESSAGES/messages.po"
with open(path, "rb") as f:
    catalog = read_po(f, locale="en")
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, (tuple, list)):
        if not all(message.string):
            message.string = tuple(message.id)
    elif not message.string:
        message.string = message.id
with open(path, "wb") as f:
    write_po(f, catalog, omit_header=False, sort_output=True, width=100)
PY
