"""Extract and compile Kith's translation catalogs, one per domain, so domains never share a file.

    uv run python tools/messages.py            # every catalog
    uv run python tools/messages.py sales      # only kith/sales/locale

A domain's catalog (src/kith/<domain>/locale) holds the strings of its app and of its doors:
web/views/<domain>*.py, web/forms/<domain>*.py, web/urls_<domain>.py,
web/templates/web/<domain>/, api/<domain>.py, cli/<domain>*.py and demo/<domain>*.py.
Everything else goes to the base catalog (src/kith/locale). New msgids get an empty msgstr to fill
in; tests/web/test_locale.py fails while any is empty or a .mo is stale.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "kith"
LANGUAGES = ("zh_Hans", "vi")


def domains() -> list[str]:
    """Apps with a catalog of their own: those with a locale/ folder."""
    return sorted(p.parent.name for p in SRC.glob("*/locale") if p.parent.name != "kith")


def domain_of(relative: Path, known: list[str]) -> str | None:
    parts, name = relative.parts, relative.stem
    for domain in known:
        own_name = name in (domain, f"urls_{domain}") or name.startswith(domain + "_")
        if (
            parts[0] == domain
            or (len(parts) == 2 and parts[0] in ("web", "api", "cli", "demo") and own_name)
            or (parts[:2] in (("web", "views"), ("web", "forms")) and domain in (parts[2], name))
            or (parts[:2] in (("web", "views"), ("web", "forms")) and name.startswith(domain + "_"))
            or parts[:4] == ("web", "templates", "web", domain)
        ):
            return domain
    return None


def sources(catalog: str | None, known: list[str]) -> list[Path]:
    found = []
    for path in SRC.rglob("*"):
        if path.suffix not in (".py", ".html", ".txt") or "locale" in path.parts:
            continue
        relative = path.relative_to(SRC)
        if relative.parts[0] in ("migrations",) or "migrations" in relative.parts:
            continue
        if domain_of(relative, known) == catalog:
            found.append(relative)
    return found


def fuzzy_guesses_cleared(po: str) -> str:
    """msgmerge guesses a translation for a new msgid from a similar old one and marks it fuzzy;
    those guesses are mostly wrong ("leads" given the translation of "Leads"), so a new msgid
    starts empty instead. The header, which is fuzzy only in a fresh catalog, is kept."""
    out: list[str] = []
    entries = po.split("\n\n")
    for number, entry in enumerate(entries):
        lines = entry.split("\n")
        if number > 0 and "#, fuzzy" in lines:
            kept = []
            in_msgstr = False
            for line in lines:
                if line == "#, fuzzy" or line.startswith("#| "):
                    continue
                if line.startswith("msgstr"):
                    in_msgstr = True
                    key = line.split(" ", 1)[0]
                    kept.append(f'{key} ""')
                    continue
                if in_msgstr and line.startswith('"'):
                    continue
                in_msgstr = False
                kept.append(line)
            lines = kept
        out.append("\n".join(lines))
    return "\n\n".join(out)


def catalog_update(catalog: str | None, known: list[str]) -> Path:
    locale = SRC / catalog / "locale" if catalog else SRC / "locale"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "kith"
        for relative in sources(catalog, known):
            (work / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(SRC / relative, work / relative)
        for language in LANGUAGES:
            (work / "locale" / language / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
            po = locale / language / "LC_MESSAGES" / "django.po"
            if po.exists():
                shutil.copy2(po, work / "locale" / language / "LC_MESSAGES" / "django.po")
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        args = ["--no-obsolete", "--add-location=file", "--no-wrap"]
        langs = [f"-l{language}" for language in LANGUAGES]
        for domain_args in (["-d", "django"],):
            subprocess.run(
                [sys.executable, "-m", "django", "makemessages", *langs, *args, *domain_args],
                cwd=work,
                env=env,
                check=True,
            )
        for language in LANGUAGES:
            target = locale / language / "LC_MESSAGES"
            target.mkdir(parents=True, exist_ok=True)
            built = work / "locale" / language / "LC_MESSAGES" / "django.po"
            if built.exists():
                (target / "django.po").write_text(
                    fuzzy_guesses_cleared(built.read_text(encoding="utf-8")), encoding="utf-8"
                )
                subprocess.run(
                    [
                        "msgfmt",
                        "--check",
                        "-o",
                        str(target / "django.mo"),
                        str(target / "django.po"),
                    ],
                    check=True,
                )
    return locale


def main(argv: list[str]) -> int:
    known = domains()
    wanted = argv or ["base", *known]
    for name in wanted:
        if name != "base" and name not in known:
            (SRC / name / "locale").mkdir(parents=True)
            known = domains()
    for name in wanted:
        locale = catalog_update(None if name == "base" else name, known)
        print(f"updated {locale.relative_to(SRC.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
