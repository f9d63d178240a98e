"""`kith automation list|run-test RULE|pause RULE|resume RULE`: the rules from a terminal, thin
over kith.automation's selectors and services (an administrator acts, as on the pages)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from kith.cli.acting import acting_user

err = Console(stderr=True)

automation_app = typer.Typer(
    name="automation", help="Automation rules: list, test-run, pause, resume.",
    no_args_is_help=True,
)  # fmt: skip

UserOpt = Annotated[
    str, typer.Option("--user", help="Act as this administrator (default: the first superuser).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RuleArg = Annotated[int, typer.Argument(help="The rule's id (see `kith automation list`).")]


def _fail(exc: Exception) -> None:
    err.print(str(exc), style="red", markup=False)
    raise typer.Exit(2) from exc


@automation_app.command("list")
def rules(user: UserOpt = "", as_json: AsJson = False) -> None:
    """The rules: id, name, trigger, active or paused, and runs so far."""
    from kith.automation.selectors import rules_list
    from kith.core.errors import KithError

    try:
        found = rules_list(user=acting_user(user))
    except KithError as exc:
        _fail(exc)
    rows = [
        {"id": r.pk, "name": r.name, "trigger": r.trigger, "active": r.is_active,
         "paused_reason": r.paused_reason}
        for r in found
    ]  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    for row in rows:
        state = "on" if row["active"] else "off"
        Console().print(
            f"{row['id']:>6}  {state:<3}  {row['trigger']:<24}  {row['name']}", markup=False
        )


@automation_app.command("run-test")
def run_test(
    rule: RuleArg,
    record: Annotated[int | None, typer.Option(help="The record to test against.")] = None,
    user: UserOpt = "",
) -> None:
    """What the rule would do for a record, step by step, without doing it."""
    from kith.automation.services import rule_test
    from kith.core.errors import KithError

    try:
        result = rule_test(by=acting_user(user), rule_id=rule, record_id=record)
    except KithError as exc:
        _fail(exc)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str, indent=2) + "\n")


def _set_active(rule: int, user: str, active: bool) -> None:
    from kith.automation.services import rule_update
    from kith.core.errors import KithError

    try:
        saved = rule_update(by=acting_user(user), rule_id=rule, is_active=active)
    except KithError as exc:
        _fail(exc)
    Console().print(f"{saved.pk} {saved.name}: {'on' if saved.is_active else 'off'}", markup=False)


@automation_app.command()
def pause(rule: RuleArg, user: UserOpt = "") -> None:
    """Turn a rule off (its pending runs wait until it is resumed)."""
    _set_active(rule, user, False)


@automation_app.command()
def resume(rule: RuleArg, user: UserOpt = "") -> None:
    """Turn a rule on again (its failure count starts over)."""
    _set_active(rule, user, True)


def register(app: typer.Typer) -> None:
    """Add `kith automation …` to the `kith` app."""
    app.add_typer(automation_app)
