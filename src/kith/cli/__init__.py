"""The `kith` command line: thin Typer commands over Django, the services, the selectors and
kith.demo. `main` is the console script declared in pyproject.toml."""

from __future__ import annotations


def main() -> None:
    from kith.cli.app import app

    app(prog_name="kith")
