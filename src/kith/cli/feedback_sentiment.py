"""`kith sentiment`: score the texts of a CSV file (no database), or rescore what Kith holds.

    kith sentiment --input FILE.csv --text-column COL [--language auto|en|zh|vi] [--json]
    kith sentiment rescore [--batch N] [--restart]

Thin: read the file, call kith.feedback.sentiment (file mode) or the feedback service (rescore).
Messages are translated (the shell's LC_ALL / LC_MESSAGES / LANG); the --json output is not.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)
BATCH = 1000

sentiment_app = typer.Typer(
    name="sentiment",
    help="Sentiment of customer text (English, Chinese, Vietnamese).",
    invoke_without_command=True,
)


def _rows(path: Path, column: str) -> Iterator[list[tuple[int, str]]]:
    """Batches of (data row number from 1, text) of `column`."""
    from django.utils.translation import gettext as _

    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if column not in (reader.fieldnames or []):
            found = ", ".join(reader.fieldnames or []) or _("none")
            raise ValueError(
                _("--text-column: %(file)s has no column %(column)r (columns: %(found)s)")
                % {"file": path.name, "column": column, "found": found}
            )
        batch: list[tuple[int, str]] = []
        for number, row in enumerate(reader, start=1):
            batch.append((number, row.get(column) or ""))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def _language_of_the_shell(ctx: typer.Context) -> None:
    """Speak the shell's language (LC_ALL, LC_MESSAGES, LANG: zh_* Chinese, vi_* Vietnamese;
    otherwise the installation's LANGUAGE_CODE) for this command only."""
    import os

    from django.utils import translation

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").lower()
        if value:
            break
    language = {"zh": "zh-hans", "vi": "vi", "en": "en"}.get(value[:2])
    if language:
        ctx.with_resource(translation.override(language))


@sentiment_app.callback()
def sentiment(
    ctx: typer.Context,
    input: Annotated[
        Path | None, typer.Option("--input", help="CSV file with a header row.")
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="The column holding the text.")
    ] = None,
    language: Annotated[
        str, typer.Option("--language", help="auto (detect per row), en, zh or vi.")
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score every row of a CSV file: label positive / neutral / negative and its probability."""
    _language_of_the_shell(ctx)
    if ctx.invoked_subcommand is not None:
        return
    from django.utils.translation import gettext as _

    if input is None or text_column is None:
        err.print(
            _("--input and --text-column are needed (or a command: rescore)"),
            style="red",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    from kith.feedback.sentiment import LANGUAGES, sentiments_score

    if language != "auto" and language not in LANGUAGES:
        err.print(
            _("--language: auto, %(known)s; not %(given)r")
            % {"known": ", ".join(LANGUAGES), "given": language},
            style="red",
            markup=False,
        )
        raise typer.Exit(2)
    results = []
    try:
        for batch in _rows(input, text_column):
            scored = sentiments_score([t for _, t in batch], language=language, drivers=not as_json)
            for (number, _text), got in zip(batch, scored, strict=True):
                results.append((number, got))
    except FileNotFoundError as exc:
        err.print(
            _("%(file)s: no such file") % {"file": input}, style="red", markup=False,
            soft_wrap=True,
        )  # fmt: skip
        raise typer.Exit(2) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        err.print(str(exc), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    if as_json:
        payload = {
            "results": [
                {"row": n, "language": s.language, "label": s.label, "score": s.score}
                for n, s in results
            ]
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    labels = {"positive": _("positive"), "neutral": _("neutral"), "negative": _("negative")}
    table = Table(title=_("Sentiment of %(file)s") % {"file": input.name})
    for name in (_("row"), _("language"), _("label"), _("score"), _("drivers")):
        table.add_column(name)
    for n, s in results:
        table.add_row(str(n), s.language, labels[s.label], f"{s.score:.2f}", ", ".join(s.drivers))
    Console().print(table)


@sentiment_app.command()
def rescore(
    batch: Annotated[int, typer.Option(help="Texts scored per transaction.")] = 500,
    restart: Annotated[
        bool, typer.Option("--restart", help="Start over instead of resuming the last run.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(help="Stop after this many texts of each source (resume later).")
    ] = None,
) -> None:
    """Rescore every stored customer text (messages and notes, then ticket replies) with the
    shipped models; resumes an unfinished run."""
    from django.utils.translation import gettext as _
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from kith.feedback.services.sentiment import sentiments_rescore, ticket_replies_rescore

    if batch < 1:
        err.print(_("--batch: at least 1"), style="red", markup=False)
        raise typer.Exit(2)
    lines = []
    for describe, rescore_source, done_line in (
        (_("Scoring messages and notes"), sentiments_rescore,
         _("%(done)d of %(total)d texts scored (%(state)s).")),
        (_("Scoring ticket replies"), ticket_replies_rescore,
         _("%(done)d of %(total)d ticket replies scored (%(state)s).")),
    ):  # fmt: skip
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err,
        ) as bar:  # fmt: skip
            task = bar.add_task(describe, total=None)

            def progress(step, task=task, bar=bar) -> None:
                bar.update(task, completed=step.done, total=step.total)

            run = rescore_source(batch=batch, restart=restart, progress=progress, limit=limit)
        state = _("finished") if run.finished_at else _("stopped; run again to resume")
        lines.append(done_line % {"done": run.done, "total": run.total, "state": state})
    for line in lines:
        Console().print(line, markup=False)


def register(app: typer.Typer) -> None:
    """Add `kith sentiment …` to the `kith` app."""
    app.add_typer(sentiment_app)
