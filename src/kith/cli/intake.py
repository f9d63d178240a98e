"""`kith dedupe` and `kith import …`: duplicate detection and imports from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True)


def dedupe(
    input_file: Annotated[
        Path | None,
        typer.Option("--input", help="Run over this CSV file instead of the contact base."),
    ] = None,
    id_column: Annotated[
        str, typer.Option("--id-column", help="The CSV column that identifies a row.")
    ] = "id",
    threshold: Annotated[
        float, typer.Option(help="Smallest match probability reported (0-1).")
    ] = 0.9,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Find duplicate pairs and clusters with the probabilistic model (splink, DuckDB).

    With --input FILE.csv, columns are read by their names (first/given name, surname, email,
    phone, date of birth, postcode, …) and stdout gets only the result. Without it, the whole
    contact base is scanned and the clusters are stored for review in the app.
    """
    from kith.intake.matching import dedupe as dedupe_records
    from kith.intake.matching import records_from_columns
    from kith.intake.reading import table_read

    if input_file is not None:
        try:
            table = table_read(input_file.read_bytes(), filename=input_file.name)
            records = records_from_columns(table.header, table.rows, id_column=id_column)
            result = dedupe_records(records, threshold=threshold, evidence=not as_json)
        except (OSError, ValueError) as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        if as_json:
            pairs = [{"a": p.a, "b": p.b, "probability": p.probability} for p in result.pairs]
            sys.stdout.write(json.dumps({"pairs": pairs}, ensure_ascii=False) + "\n")
            return
        out = Console()
        out.print(f"{result.record_count} records, {len(result.pairs)} pairs")
        for p in result.pairs:
            out.print(f"{p.a}\t{p.b}\t{p.probability:.4f}\t" + json.dumps(p.evidence))
        return

    from kith.intake.dedupe import dedupe_run_contacts

    run = dedupe_run_contacts(by=None, threshold=threshold)
    if as_json:
        sys.stdout.write(
            json.dumps(
                {
                    "run": run.pk,
                    "records": run.record_count,
                    "pairs": run.pair_count,
                    "clusters": run.cluster_count,
                }
            )
            + "\n"
        )
        return
    Console().print(
        f"{run.record_count} contacts, {run.pair_count} pairs in {run.cluster_count} clusters"
    )


import_app = typer.Typer(
    name="import",
    help="Import contacts, companies, leads, orders, interactions or messages from a file.",
)


Policy = Annotated[
    str,
    typer.Option(
        "--on-duplicate",
        help="A row with the email/phone (…) of an existing record: skip, merge or create.",
    ),
]
FuzzyPolicy = Annotated[
    str,
    typer.Option(
        "--on-fuzzy",
        help="A row of a person with a name like an existing contact's: skip, merge or create.",
    ),
]


def _import(
    kind: str, file: Path, mapping: str, dry_run: bool, as_json: bool, user: str,
    on_duplicate: str = "skip", on_fuzzy: str = "create",
) -> None:  # fmt: skip
    """Import FILE as `kind`; Ctrl-C stops it after the batch it is writing (undo or resume it
    in the app, like an import that failed)."""
    from django.utils.translation import gettext as _

    from kith.core.errors import KithError
    from kith.identity.models import User
    from kith.intake.imports import (
        import_choices_set,
        import_create,
        import_preview,
        import_read,
        import_run,
        mapping_template_get,
    )

    try:
        by = User.objects.get(username=user) if user else None
        if by is None:
            by = User.objects.filter(is_superuser=True).order_by("id").first()
        if by is None:
            raise ValueError(_("No user to import as: pass --user."))
        mapping_dict = json.loads(mapping) if mapping.strip().startswith("{") else None
        if mapping and mapping_dict is None and Path(mapping).is_file():
            mapping_dict = json.loads(Path(mapping).read_text(encoding="utf-8"))
        elif mapping and mapping_dict is None:
            # The name of a mapping saved in the app ("Save this mapping as").
            mapping_dict = mapping_template_get(by=by, kind=kind, name=mapping).mapping
        job = import_create(
            by=by, kind=kind, filename=file.name, content=file.read_bytes(), mapping=mapping_dict,
            on_duplicate=on_duplicate,
        )  # fmt: skip
        if job.status == "reading":  # a large file: read here rather than by the worker
            job = import_read(job_id=job.pk)
            if job.status == "failed":
                raise ValueError(job.message)
        import_choices_set(by=by, job_id=job.pk, choices={}, on_fuzzy=on_fuzzy)
        preview = import_preview(by=by, job_id=job.pk, limit=20)
    except (OSError, ValueError, KithError, User.DoesNotExist) as exc:
        err.print(f"[red]{exc}[/red]", markup=True)
        raise typer.Exit(2) from exc
    if dry_run:
        summary = {
            "job": job.pk,
            "rows": preview.total,
            "valid": preview.valid,
            "errors": [
                {"row": e.row, "field": e.field, "message": e.message} for e in preview.errors
            ],
            "mapping": job.mapping,
        }
        if as_json:
            sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
        else:
            Console().print(summary)
        return
    from rich.progress import Progress

    with Progress(console=err, disable=as_json) as bar:
        task_id = bar.add_task(_("Importing"), total=preview.total)

        def progress(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=total)

        try:
            job = import_run(by=by, job_id=job.pk, progress=progress)
        except KeyboardInterrupt:
            err.print(_("Stopped: undo or resume import %(job)s in the app.") % {"job": job.pk})
            raise typer.Exit(130) from None
    summary = {
        "job": job.pk,
        "status": job.status,
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "errors": job.error_count,
    }
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        Console().print(summary)


@import_app.command("contacts")
def import_contacts(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or vCard file.")],
    mapping: Annotated[
        str,
        typer.Option(
            help="JSON object, JSON file or saved mapping name: column -> field (else guessed)."
        ),
    ] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and show the preview only.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    user: Annotated[str, typer.Option(help="Import as this user (default: first admin).")] = "",
    on_duplicate: Policy = "skip",
    on_fuzzy: FuzzyPolicy = "create",
) -> None:
    """Import contacts from FILE."""
    _import("contacts", file, mapping, dry_run, as_json, user, on_duplicate, on_fuzzy)


@import_app.command("companies")
def import_companies(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    mapping: Annotated[str, typer.Option(help="JSON object or file: column -> field.")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    user: Annotated[str, typer.Option()] = "",
    on_duplicate: Policy = "skip",
) -> None:
    """Import companies from FILE."""
    _import("companies", file, mapping, dry_run, as_json, user, on_duplicate)


def _records_command(kind: str, noun: str) -> None:
    def command(
        file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
        mapping: Annotated[
            str,
            typer.Option(
                help="JSON object, JSON file or saved mapping name: column -> field (else guessed)."
            ),
        ] = "",
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Validate and show the preview only.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        user: Annotated[str, typer.Option(help="Import as this user (default: first admin).")] = "",
        on_duplicate: Policy = "skip",
    ) -> None:
        _import(kind, file, mapping, dry_run, as_json, user, on_duplicate)

    command.__doc__ = (
        f"Import {noun} from FILE (each row names its contact by email, phone, id or handle)."
    )
    import_app.command(kind)(command)


_records_command("leads", "leads")
_records_command("orders", "orders (rows with the same order number are one order)")
_records_command("interactions", "interactions (calls, emails, meetings, notes …)")
_records_command("messages", "social mentions and chat transcripts (CSV or JSON exports)")


def register(app: typer.Typer) -> None:
    """Add `kith dedupe` and `kith import …` to the `kith` app."""
    app.command()(dedupe)
    app.add_typer(import_app)
