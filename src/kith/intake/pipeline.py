"""The one import pipeline, for every kind an app declares (kith.core.importing.ImportSpec on
its ImportKind door): the mapping guess, the row-check loop (spread over worker processes for a
large file, in bounded chunks), the duplicate decision (exact keys against the base as one
set-based lookup per batch and within the file; fuzzy name matches of people through the
on-entry check) and the bulk write of each batch.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from kith.core.doors import dotted_load, import_kinds
from kith.core.errors import FieldError, KithError
from kith.core.importing import (
    BatchOutcome,
    Cells,
    Checked,
    ImportContext,
    ImportSpec,
    service_failures,
)
from kith.core.text import fold

# Rows checked per task of a worker process, and the tasks in flight per process: what the
# workers hold ahead of the writer stays bounded whatever the file's length.
CHUNK = 2_500
AHEAD = 3
# Files of fewer rows are checked in the importing process (starting workers costs more).
PARALLEL_FROM = 20_000


def spec_for(kind: str) -> ImportSpec:
    """The import spec of `kind` (FieldError when no installed app declares it)."""
    entry = import_kinds().get(kind)
    if entry is None or not entry.spec:
        raise FieldError.one("kind", _("Choose what the rows are."))
    return _spec(entry.spec)


_SPECS: dict[str, ImportSpec] = {}


def _spec(path: str) -> ImportSpec:
    if path not in _SPECS:
        _SPECS[path] = dotted_load(path)
    return _SPECS[path]


def fields_for(kind: str) -> dict[str, tuple[str, ...]]:
    """The fields a file of `kind` can fill, with the column names that suggest each."""
    return spec_for(kind).synonyms()


def field_labels(kind: str) -> dict[str, Any]:
    return spec_for(kind).labels()


def _header_key(name: str) -> str:
    return "".join(ch for ch in fold(name) if ch.isalnum())


def mapping_guess(header: Sequence[str], kind: str) -> dict[str, str]:
    """column -> field for the columns whose names Kith recognises ("" = not imported)."""
    synonyms = fields_for(kind)
    return {
        column: next((f for f, names in synonyms.items() if _header_key(column) in names), "")
        for column in header
    }


# --- the row-check loop -----------------------------------------------------------------------


def rows_check(
    spec: ImportSpec, header: Sequence[str], mapping: dict[str, str],
    rows: Sequence[Sequence[str]], numbers: Sequence[int],
) -> list[Checked]:  # fmt: skip
    """Each row checked by the kind's row_check (no database)."""
    checked = []
    for number, raw in zip(numbers, rows, strict=True):
        cells = Cells(raw, header, mapping)
        item = Checked(number, raw)
        spec.row_check(cells, item)
        item.problems = cells.problems
        checked.append(item)
    return checked


# What the worker processes read (inherited at fork, so the rows are not sent to them).
_SHARED: dict[str, Any] = {}


def _worker_init(language: str) -> None:
    # A fork inherits the parent's signal handlers: one that only sets a flag (a worker's
    # graceful stop, a test runner's) would make Pool.terminate wait forever for the child.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to handle
    translation.activate(language)


def _chunk_check(bounds: tuple[int, int]) -> list[tuple[dict, list]]:
    start, end = bounds
    s = _SHARED
    items = rows_check(
        s["spec"], s["header"], s["mapping"], s["rows"][start:end], s["numbers"][start:end]
    )
    return [(item.values, item.problems) for item in items]


@dataclass
class Checker:
    """Checks the rows of one file batch by batch: in this process for a small file, over
    worker processes (fork, CHUNK rows a task, AHEAD tasks a worker in flight) for a large
    one. Use as a context manager; `batch(start, end)` gives the rows' Checked in order."""

    spec: ImportSpec
    header: list[str]
    mapping: dict[str, str]
    rows: list[list[str]]
    numbers: list[int]
    processes: int = 0
    _pool: Any = None
    _pending: deque = field(default_factory=deque)
    _next: int = 0
    _done: dict[int, tuple[dict, list]] = field(default_factory=dict)

    def __enter__(self) -> Checker:
        if not self.processes:
            large = len(self.rows) >= PARALLEL_FROM
            self.processes = min(os.cpu_count() or 1, 8) if large else 1
        if self.processes > 1 and "fork" in multiprocessing.get_all_start_methods():
            _SHARED.update(
                spec=self.spec, header=self.header, mapping=self.mapping, rows=self.rows,
                numbers=self.numbers,
            )  # fmt: skip
            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(
                self.processes, initializer=_worker_init, initargs=(translation.get_language(),)
            )
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if self._pool is not None:
            if kind is None:
                self._pool.close()  # every task is done: let the workers finish cleanly
            else:
                self._pool.terminate()
            self._pool.join()
            self._pool = None
        _SHARED.clear()

    def start_at(self, index: int) -> None:
        self._next = index

    def _submit(self) -> None:
        while self._next < len(self.rows) and len(self._pending) < self.processes * AHEAD:
            bounds = (self._next, min(self._next + CHUNK, len(self.rows)))
            self._pending.append((bounds, self._pool.apply_async(_chunk_check, (bounds,))))
            self._next = bounds[1]

    def batch(self, start: int, end: int) -> list[Checked]:
        if self._pool is None:
            return rows_check(
                self.spec, self.header, self.mapping, self.rows[start:end],
                self.numbers[start:end],
            )  # fmt: skip
        while any(i not in self._done for i in range(start, end)):
            self._submit()
            (first, _last), result = self._pending.popleft()
            for offset, outcome in enumerate(result.get()):
                self._done[first + offset] = outcome
        self._submit()
        checked = []
        for i in range(start, end):
            values, problems = self._done.pop(i)
            checked.append(Checked(self.numbers[i], self.rows[i], values, problems))
        return checked


# --- one batch: duplicates, the user's choice, the write ---------------------------------------


@dataclass
class BatchResult:
    failures: list[tuple[int, str, str, Sequence[str]]] = field(default_factory=list)
    error_rows: int = 0
    created_ids: list[int] = field(default_factory=list)
    updated: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    skipped: int = 0


def batch_run(
    spec: ImportSpec,
    ctx: ImportContext,
    checked: list[Checked],
    choices: dict[str, str] | None = None,
    fuzzy: dict[int, int] | None = None,
) -> BatchResult:
    """Write one batch of checked rows. A row the base already has (the kind's `existing`),
    one of the same keys as an earlier row of the batch (earlier batches are in the base) or a
    fuzzy match of a person (`fuzzy`: row number -> record id) is skipped, merged into the
    record or created anyway: as the user chose for that row (`choices`: row number -> skip/
    merge/create), else by the import's policy."""
    result = BatchResult()
    if spec.batch_check is not None:
        spec.batch_check(ctx, checked)
    valid = []
    for item in checked:
        if item.problems:
            result.failures += [(item.number, c, m, item.row) for c, m in item.problems]
            result.error_rows += 1
        else:
            valid.append(item)
    existing = spec.existing(ctx, valid) if spec.existing and valid else {}
    choices = choices or {}
    fuzzy = fuzzy or {}
    to_create = []
    seen: set[str] = set()
    for index, item in enumerate(valid):
        number = str(item.number)
        chosen, _colon, chosen_record = choices.get(number, "").partition(":")
        match = existing.get(index)
        if match is not None:
            policy = chosen or ctx.policy
        elif item.number in fuzzy or chosen_record.isdigit():
            match = int(chosen_record) if chosen_record.isdigit() else fuzzy[item.number]
            policy = chosen or ctx.on_fuzzy
        else:
            policy = chosen or ctx.policy
        keys = spec.keys(item) if spec.keys else []
        if match is None and policy != "create" and any(k in seen for k in keys):
            result.skipped += 1  # the same record twice in one file: the first row wins
            continue
        if match is not None and policy != "create":
            before = None
            if policy == "merge" and spec.merge is not None:
                try:
                    before = spec.merge(ctx, item, match)
                except KithError as exc:  # a service refusing the merge: the row's error
                    result.failures += service_failures(item, exc, ctx)
                    result.error_rows += 1
                    continue
            if before is None:
                result.skipped += 1
            else:
                result.updated.append((match, before))
            continue
        seen.update(keys)
        to_create.append(item)
    if to_create:
        outcome: BatchOutcome = spec.write(ctx, to_create)
        result.created_ids = outcome.created_ids
        result.skipped += outcome.skipped
        result.failures += outcome.failures
        result.error_rows += len({number for number, *_rest in outcome.failures})
    result.failures.sort(key=lambda f: f[0])
    return result


def batches(
    spec: ImportSpec, header: Sequence[str], mapping: dict[str, str],
    rows: Sequence[Sequence[str]], *, start: int = 0, size: int,
) -> Iterator[tuple[int, int]]:  # fmt: skip
    """(start, end) of each batch of about `size` rows from row index `start`; a batch never
    splits the rows that share the kind's group field (an order's lines)."""
    column = (
        next((i for i, c in enumerate(header) if mapping.get(c) == spec.group_field), None)
        if spec.group_field
        else None
    )

    def value(i: int) -> str:
        row = rows[i]
        return row[column].strip() if column is not None and column < len(row) else ""

    while start < len(rows):
        end = min(start + size, len(rows))
        while (
            column is not None and end < len(rows) and value(end) and value(end) == value(end - 1)
        ):
            end += 1
        yield start, end
        start = end
