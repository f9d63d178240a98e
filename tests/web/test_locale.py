"""The committed Chinese and Vietnamese catalogs (the base one and each domain's) are complete
and compiled. `uv run python tools/messages.py [DOMAIN]` updates them."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings

LOCALES = ("zh_Hans", "vi")


def _key(entry: dict[str, str]) -> str:
    # A message with a context (pgettext) is "context\x04msgid" in a compiled catalog.
    if "msgctxt" in entry:
        return f"{entry['msgctxt']}\x04{entry['msgid']}"
    return entry["msgid"]


def po_entries(path: Path) -> dict[str, str]:
    """msgid -> msgstr (msgstr[0] for plurals) of a .po file; the header is left out."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgid_plural ", "msgstr ", "msgstr[0] ", "msgctxt ")):
            key, _space, literal = line.partition(" ")
            starts_entry = key in ("msgid", "msgctxt")
            if starts_entry and ("msgstr" in current or "msgstr[0]" in current):
                entries[_key(current)] = current.get("msgstr", current.get("msgstr[0]", ""))
                current = {}
            current[key] = ast.literal_eval(literal)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif line.startswith("msgstr["):
            key = ""
    if current.get("msgid"):
        entries[_key(current)] = current.get("msgstr", current.get("msgstr[0]", ""))
    entries.pop("", None)
    return entries


BASE = Path(settings.LOCALE_PATHS[0])
CATALOGS = [BASE, *sorted(p for p in BASE.parent.glob("*/locale") if p != BASE)]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.parent.name)
def test_every_message_is_translated_and_compiled(catalog, locale):
    folder = catalog / locale / "LC_MESSAGES"
    entries = po_entries(folder / "django.po")
    assert len(entries) > (300 if catalog == BASE else 0)
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []
    with (folder / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    stale = [
        msgid
        for msgid, msgstr in entries.items()
        if catalog.get(msgid, catalog.get((msgid, 0))) != msgstr
    ]
    assert stale == [], "run msgfmt: django.mo is older than django.po"
