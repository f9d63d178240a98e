"""API v1: imports (upload, preview, run, status, undo), duplicates and merges. Writes go through
kith.intake services, which check access: another user's import is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS
from kith.intake import dedupe, imports, merging

router = Router(tags=["intake"])


class ImportOut(Schema):
    id: int
    kind: str
    status: str
    filename: str
    mapping: dict[str, str]
    on_duplicate: str
    total: int
    processed: int
    created_count: int
    updated_count: int
    skipped_count: int
    error_count: int
    message: str
    created_at: datetime
    finished_at: datetime | None


class RowErrorOut(Schema):
    row: int
    field: str
    message: str


class PreviewOut(Schema):
    header: list[str]
    mapping: dict[str, str]
    rows: list[list[str]]
    total: int
    valid: int
    checked: int
    errors: list[RowErrorOut]
    numbers: list[int] = Field(..., description="the file row number of each of rows")


class MappingIn(Schema):
    mapping: dict[str, str] = Field(..., description="column -> field ('' = not imported)")
    on_duplicate: str | None = Field(None, description="skip, merge or create")
    save_as: str = ""


@router.post("/imports", response={201: ImportOut, **ERRORS}, tags=["imports"])
def import_upload(
    request: ApiRequest,
    file: File[UploadedFile],
    kind: Form[str] = "contacts",
    on_duplicate: Form[str] = "skip",
) -> Any:
    """Upload a CSV, XLSX or vCard file; the column mapping is guessed (see the preview). A
    large file is read by the worker: its status is "reading" until the preview is ready."""
    imports.upload_size_check(file.size or 0)
    job = imports.import_create(
        by=request.auth,
        kind=kind,
        filename=file.name or "upload",
        content=file.read(),
        on_duplicate=on_duplicate,
    )
    return Status(201, job)


@router.get("/imports/{int:job_id}", response={200: ImportOut, **ERRORS}, tags=["imports"])
def import_status(request: ApiRequest, job_id: int) -> Any:
    """Status and progress (processed of total rows) of an import."""
    return imports.import_get(by=request.auth, job_id=job_id)


@router.get("/imports/{int:job_id}/preview", response={200: PreviewOut, **ERRORS}, tags=["imports"])
def import_preview(request: ApiRequest, job_id: int, limit: int = 20) -> Any:
    """The first rows as mapped and the rows that would fail, with row, column and reason."""
    return imports.import_preview(by=request.auth, job_id=job_id, limit=min(max(limit, 0), 200))


@router.put("/imports/{int:job_id}/mapping", response={200: ImportOut, **ERRORS}, tags=["imports"])
def import_mapping(request: ApiRequest, job_id: int, payload: MappingIn) -> Any:
    return imports.import_mapping_set(by=request.auth, job_id=job_id, **payload.model_dump())


@router.post("/imports/{int:job_id}/run", response={202: ImportOut, **ERRORS}, tags=["imports"])
def import_run(request: ApiRequest, job_id: int) -> Any:
    """Queue the import for the background worker; poll its status."""
    return Status(202, imports.import_queue(by=request.auth, job_id=job_id))


@router.post("/imports/{int:job_id}/resume", response={202: ImportOut, **ERRORS}, tags=["imports"])
def import_resume(request: ApiRequest, job_id: int) -> Any:
    """Queue an import that stopped part-way again, from the row after the last one finished."""
    return Status(202, imports.import_resume(by=request.auth, job_id=job_id))


@router.post("/imports/{int:job_id}/undo", response={200: ImportOut, **ERRORS}, tags=["imports"])
def import_undo(request: ApiRequest, job_id: int) -> Any:
    """Remove what the import created and restore what it changed."""
    return imports.import_undo(by=request.auth, job_id=job_id)


class CandidateOut(Schema):
    id: int
    name: str
    score: float
    reasons: list[str]


class DuplicateQuery(Schema):
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    email: str = ""
    phone: str = ""


@router.post(
    "/duplicates/contacts", response={200: list[CandidateOut], **ERRORS}, tags=["duplicates"]
)
def contact_duplicates(request: ApiRequest, payload: DuplicateQuery) -> Any:
    """Contacts the caller may see that are likely the person described (on-entry check)."""
    found = dedupe.contact_duplicates_find(
        user=request.auth,
        first_name=payload.first_name,
        last_name=payload.last_name,
        full_name=payload.full_name,
        emails=[payload.email] if payload.email else [],
        phones=[payload.phone] if payload.phone else [],
    )
    return [
        {"id": c.record.pk, "name": c.record.full_name, "score": c.score, "reasons": c.reasons}
        for c in found
    ]


class CompanyDuplicateQuery(Schema):
    name: str = ""
    domain: str = ""


@router.post(
    "/duplicates/companies", response={200: list[CandidateOut], **ERRORS}, tags=["duplicates"]
)
def company_duplicates(request: ApiRequest, payload: CompanyDuplicateQuery) -> Any:
    """Companies the caller may see that are likely the one described (same domain, or a
    similar name once legal forms like "Ltd" are ignored)."""
    found = dedupe.company_duplicates_find(
        user=request.auth, name=payload.name, domain=payload.domain
    )
    return [
        {"id": c.record.pk, "name": c.record.name, "score": c.score, "reasons": c.reasons}
        for c in found
    ]


class MergeIn(Schema):
    survivor_id: int
    merged_ids: list[int]
    values: dict[str, Any] = {}


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_ids: list[int]
    undone_at: datetime | None


@router.post("/merges/contacts", response={201: MergeOut, **ERRORS}, tags=["duplicates"])
def contacts_merge(request: ApiRequest, payload: MergeIn) -> Any:
    """Merge contacts into the survivor; everything linked to them moves. Undo with
    POST /merges/{id}/undo."""
    merge = merging.contacts_merge(by=request.auth, **payload.model_dump())
    return Status(201, merge)


@router.post("/merges/companies", response={201: MergeOut, **ERRORS}, tags=["duplicates"])
def companies_merge(request: ApiRequest, payload: MergeIn) -> Any:
    """Merge companies into the survivor; their contacts, deals, tickets and interactions move.
    Undo with POST /merges/{id}/undo."""
    merge = merging.companies_merge(by=request.auth, **payload.model_dump())
    return Status(201, merge)


@router.post("/merges/{int:merge_id}/undo", response={200: MergeOut, **ERRORS}, tags=["duplicates"])
def merge_undo(request: ApiRequest, merge_id: int) -> Any:
    return merging.merge_undo(by=request.auth, merge_id=merge_id)
