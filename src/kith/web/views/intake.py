"""Data pages: imports (upload, mapping, preview, progress, error file, undo), duplicates
(on-entry check, contact panel, batch clusters, merge and undo) and exports (XLSX, vCard)."""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import FieldError, NotFound
from kith.core.workers import worker_running
from kith.customers import selectors as customer_selectors
from kith.customers.models import Company, Contact
from kith.identity.access import can, linked_name, require, scope_key, visible_to
from kith.identity.models import SecurityEvent
from kith.identity.security import security_event_record
from kith.intake import dedupe, imports, merging
from kith.intake.exporting import vcard_text, xlsx_bytes
from kith.intake.models import DuplicatePair, ImportJob, MergeRecord
from kith.web.export import csv_stream
from kith.web.views.companies import _filter_form as company_filter_form
from kith.web.views.companies import _filters as company_filters
from kith.web.views.contacts import EXPORT_COLUMNS, _export_row
from kith.web.views.contacts import _filter_form as contact_filter_form
from kith.web.views.contacts import _filters as contact_filters
from kith.web.views.errors import service_errors

# The list page that shows what an import of each kind wrote.
RECORD_LISTS = {
    "contacts": "contact-list",
    "companies": "company-list",
    "leads": "lead-list",
    "orders": "order-list",
}


# --- imports ----------------------------------------------------------------------------------


@login_required
@service_errors
def import_list(request: HttpRequest) -> HttpResponse:
    """Recent imports and the upload form; POST uploads a file and opens its preview."""
    require(request.user, "imports", "read")
    errors: dict[str, str] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "contacts")
        if upload is None:
            errors["file"] = _("Choose a file.")
        else:
            try:
                # Refused before it is read into memory.
                imports.upload_size_check(upload.size or 0)
                job = imports.import_create(
                    by=request.user,
                    kind=kind,
                    filename=upload.name or "upload",
                    content=upload.read(),
                    on_duplicate=request.POST.get("on_duplicate", "skip"),
                )
                return redirect("import-detail", job.pk)
            except FieldError as exc:
                errors = exc.errors
    context = {
        "jobs": imports.import_jobs(by=request.user),
        "errors": errors,
        "kinds": ImportJob.Kind.choices,
        "policies": ImportJob.OnDuplicate.choices,
        "can_dedupe": can(request.user, "contacts", "edit"),
    }
    return render(request, "web/intake/import_list.html", context, status=400 if errors else 200)


@login_required
@service_errors
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = imports.import_get(by=request.user, job_id=job_id)
    context: dict[str, Any] = {
        "records_url": RECORD_LISTS.get(job.kind, ""),
        **_progress_context(job),
    }
    if job.status == ImportJob.Status.UPLOADED:
        preview = imports.import_preview(by=request.user, job_id=job.pk, matched=True)
        error_rows = {e.row for e in preview.errors}
        context.update(
            preview=preview,
            preview_rows=list(zip(preview.numbers, preview.rows, strict=True)),
            columns=[(c, preview.mapping.get(c, "")) for c in preview.header],
            field_choices=list(imports.field_labels(job.kind).items()),
            policies=ImportJob.OnDuplicate.choices,
            error_rows=error_rows,
            templates=imports.mapping_templates(by=request.user, kind=job.kind),
        )
    return render(request, "web/intake/import_detail.html", context)


@login_required
@require_POST
@service_errors
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = imports.import_get(by=request.user, job_id=job_id)
    preview_header = imports.import_preview(by=request.user, job_id=job.pk, limit=0).header
    mapping = {c: request.POST.get(f"map-{i}", "") for i, c in enumerate(preview_header)}
    try:
        imports.import_mapping_set(
            by=request.user,
            job_id=job.pk,
            mapping=mapping,
            on_duplicate=request.POST.get("on_duplicate") or None,
            save_as=request.POST.get("save_as", ""),
            template_id=int(template)
            if (template := request.POST.get("template", "")).isdigit()
            else None,
        )
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    return redirect("import-detail", job.pk)


@login_required
@require_POST
@service_errors
def import_choices(request: HttpRequest, job_id: int) -> HttpResponse:
    """The user's choice per possible duplicate of the preview (choice-<row> = skip, create or
    merge:<record id>) and the policy for similar names."""
    choices = {
        key.removeprefix("choice-"): value
        for key, value in request.POST.items()
        if key.startswith("choice-") and value
    }
    try:
        imports.import_choices_set(
            by=request.user,
            job_id=job_id,
            choices=choices,
            on_fuzzy=request.POST.get("on_fuzzy") or None,
        )
        messages.success(request, _("Your choices for the possible duplicates were saved."))
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    return redirect("import-detail", job_id)


@login_required
@require_POST
@service_errors
def import_stop(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        imports.import_cancel(by=request.user, job_id=job_id)
        messages.success(request, _("The import stops after the rows it is writing now."))
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    return redirect("import-detail", job_id)


@login_required
@require_POST
@service_errors
def import_run(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        imports.import_queue(by=request.user, job_id=job_id)
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    return redirect("import-detail", job_id)


# An import in these states is waiting for the worker; its page polls until it is not.
WAITING = (ImportJob.Status.READING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def _progress_context(job: ImportJob) -> dict[str, Any]:
    return {"job": job, "waiting": job.status in WAITING, "worker_running": worker_running()}


@login_required
@require_POST
@service_errors
def import_resume(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        imports.import_resume(by=request.user, job_id=job_id)
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    return redirect("import-detail", job_id)


@login_required
@service_errors
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress fragment; it polls itself while the import is queued or running."""
    job = imports.import_get(by=request.user, job_id=job_id)
    response = render(request, "web/intake/import_progress.html", _progress_context(job))
    if job.status not in WAITING:
        # Finished: reload the whole page to show the summary and actions.
        response["HX-Refresh"] = "true"
    return response


@login_required
@service_errors
def import_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    job = imports.import_get(by=request.user, job_id=job_id)
    response = HttpResponse("\ufeff" + job.errors_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@login_required
@require_POST
@service_errors
def import_undo(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        imports.import_undo(by=request.user, job_id=job_id)
        messages.success(request, _("The import was undone."))
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    return redirect("import-detail", job_id)


# --- duplicates -------------------------------------------------------------------------------


@login_required
@service_errors
def duplicate_check(request: HttpRequest) -> HttpResponse:
    """Likely duplicates of the contact or company being typed (fragment for their forms)."""
    data = request.GET
    record_id = int(data["record_id"]) if data.get("record_id", "").isdigit() else None
    kind = "company" if data.get("kind") == "company" else "contact"
    if kind == "company":
        candidates = dedupe.company_duplicates_find(
            user=request.user,
            name=data.get("name", ""),
            domain=data.get("domain", ""),
            exclude_id=record_id,
        )
    else:
        emails = [v for k, v in data.items() if k.startswith("emails-") and k.endswith("-value")]
        phones = [v for k, v in data.items() if k.startswith("phones-") and k.endswith("-value")]
        candidates = dedupe.contact_duplicates_find(
            user=request.user,
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            full_name=data.get("full_name", ""),
            emails=emails + data.getlist("email"),
            phones=phones + data.getlist("phone"),
            exclude_id=record_id,
        )
    return render(
        request,
        "web/intake/duplicate_check.html",
        {"candidates": candidates, "kind": kind, "record_id": record_id},
    )


@login_required
@service_errors
def contact_duplicates_panel(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = customer_selectors.contact_get(user=request.user, contact_id=contact_id)
    points = list(contact.points.all())
    candidates = dedupe.contact_duplicates_find(
        user=request.user,
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        emails=[p.value for p in points if p.kind == "email"],
        phones=[p.value for p in points if p.kind == "phone"],
        exclude_id=contact.pk,
    )
    merges = MergeRecord.objects.filter(
        model="customers.contact", survivor_id=contact.pk, undone_at__isnull=True
    ).order_by("-pk")[:3]
    return render(
        request,
        "web/intake/duplicates_panel.html",
        {
            "contact": contact,
            "candidates": candidates,
            "merges": list(merges),
            "can_merge": can(request.user, "contacts", "edit"),
        },
    )


@login_required
@service_errors
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Clusters of the latest batch run (only contacts the user may see), and a button to run."""
    require(request.user, "contacts", "read")
    if request.method == "POST":
        require(request.user, "contacts", "edit")
        from kith.intake.tasks import dedupe_run_task

        dedupe_run_task.enqueue(request.user.pk)
        messages.success(request, _("The duplicate search has started; reload in a while."))
        return redirect("duplicate-list")
    run = dedupe.dedupe_run_latest_for(user=request.user)
    clusters: dict[int, list[DuplicatePair]] = {}
    pairs = (
        list(
            DuplicatePair.objects.filter(run=run, status=DuplicatePair.Status.OPEN).order_by(
                "cluster", "-probability"
            )[:500]
        )
        if run
        else []
    )
    ids = {i for p in pairs for i in (p.contact_a, p.contact_b)}
    visible = {
        c.pk: c
        for c in visible_to(Contact.objects.all(), user=request.user, module="contacts")
        .filter(pk__in=ids)
        .only("id", "full_name", "primary_email", "primary_phone")
    }
    for pair in pairs:
        if pair.contact_a in visible and pair.contact_b in visible:
            pair.a = visible[pair.contact_a]  # type: ignore[attr-defined]
            pair.b = visible[pair.contact_b]  # type: ignore[attr-defined]
            clusters.setdefault(pair.cluster, []).append(pair)
    groups = [
        (number, cluster_pairs, ",".join(str(i) for i in sorted(
            {i for p in cluster_pairs for i in (p.contact_a, p.contact_b)})[:10]))
        for number, cluster_pairs in sorted(clusters.items())
    ]  # fmt: skip
    # A company-wide run's counts are not a team's: count what this user may see.
    own_scope = run is not None and run.scope == scope_key(request.user, "contacts")
    context = {
        "run": run,
        "clusters": groups,
        "run_records": run.record_count
        if own_scope
        else visible_to(Contact.objects.all(), user=request.user, module="contacts").count(),
        "run_pairs": run.pair_count if own_scope else sum(len(c) for c in clusters.values()),
    }
    return render(request, "web/intake/duplicate_list.html", context)


MERGE_KINDS = {
    "contact": ("customers.contact", Contact, "contacts", "contact-detail"),
    "company": ("customers.company", Company, "companies", "company-detail"),
}


@login_required
@service_errors
def merge_review(request: HttpRequest) -> HttpResponse:
    """Pick the surviving record and the value to keep per field for ?ids=1,2,… (contacts, or
    companies with ?kind=company); defaults: the most recent non-empty value. POST merges."""
    kind = (
        "company" if request.GET.get("kind", request.POST.get("kind")) == "company" else "contact"
    )
    label, model, module, detail = MERGE_KINDS[kind]
    raw = request.GET.get("ids", "") or request.POST.get("ids", "")
    ids = [int(i) for i in raw.split(",") if i.strip().isdigit()][:10]
    queryset = model.objects.select_related("company") if kind == "contact" else model.objects
    records = list(
        visible_to(queryset.all(), user=request.user, module=module)
        .filter(pk__in=ids)
        .order_by("-updated_at")
    )
    if len(records) < 2 or len(records) != len(set(ids)):
        raise NotFound(_("Choose at least two records you can see."))
    fields = merging.MERGE_FIELDS[label]
    defaults = merging.merge_defaults(records, label)
    if request.method == "POST":
        survivor_id = int(request.POST.get("survivor", records[0].pk))
        values = {}
        for name in fields:
            source = request.POST.get(f"field-{name}", "")
            if source.isdigit():
                chosen = next((r for r in records if r.pk == int(source)), None)
                if chosen is not None:
                    values[name] = getattr(chosen, name)
        try:
            merge = merging.records_merge(
                by=request.user,
                label=label,
                survivor_id=survivor_id,
                merged_ids=[r.pk for r in records if r.pk != survivor_id],
                values=values,
            )
        except FieldError as exc:
            for message in exc.errors.values():
                messages.error(request, message)
        else:
            messages.success(request, _("The records were merged; the merge can be undone."))
            return redirect(detail, merge.survivor_id)
    rows = []
    for name in fields:
        options = [
            (r.pk, getattr(r, "company", None) if name == "company_id" else _display(r, name))
            for r in records
        ]
        default_source = next(
            (r.pk for r in records if getattr(r, name) == defaults[name]), records[0].pk
        )
        rows.append(
            {
                "name": name,
                "label": model._meta.get_field(name.removesuffix("_id")).verbose_name,
                "options": options,
                "default": default_source,
            }
        )
    context = {
        "records": records,
        "rows": rows,
        "ids": ",".join(str(r.pk) for r in records),
        "kind": kind,
        "detail": detail,
    }
    return render(request, "web/intake/merge_review.html", context)


def _display(record: Any, name: str) -> Any:
    """A field's value as a person reads it (the label of a choice)."""
    display = getattr(record, f"get_{name}_display", None)
    return display() if display else getattr(record, name)


@login_required
@require_POST
@service_errors
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    try:
        merge = merging.merge_undo(by=request.user, merge_id=merge_id)
        messages.success(request, _("The merge was undone."))
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    merge = MergeRecord.objects.filter(pk=merge_id).first()
    if merge is None:
        return redirect("duplicate-list")
    detail = "company-detail" if merge.model == "customers.company" else "contact-detail"
    return redirect(detail, merge.survivor_id)


# --- exports ----------------------------------------------------------------------------------


def _download(fmt: str, name: str, header: list[str], rows: Any, cards: Any) -> HttpResponse:
    """The rows as CSV (streamed, via kith.web.export like the contact list's own export),
    XLSX or vCard; every cell neutralised against spreadsheet formulas."""
    response: HttpResponse
    if fmt == "xlsx":
        response = HttpResponse(
            xlsx_bytes(header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "vcf":
        response = StreamingHttpResponse(
            vcard_text(cards), content_type="text/vcard; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            csv_stream(header, rows), content_type="text/csv; charset=utf-8"
        )
        fmt = "csv"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _checked_first(rows: Any) -> Any:
    """The rows with the first already read: a selector's export right is checked when it is
    called or first read, and a 403 must come before a streamed response starts."""
    rows = iter(rows)
    first = next(rows, None)
    return chain([first], rows) if first is not None else iter(())


@login_required
@service_errors
def export_contacts(request: HttpRequest, fmt: str) -> HttpResponse:
    """The contact list as filtered on its page, as CSV, XLSX or vCard (needs the export right)."""
    form = contact_filter_form(request)
    custom_keys = [cf.key for cf in customer_selectors.custom_fields_for(model="customers.contact")]
    contacts = _checked_first(
        customer_selectors.contacts_export(user=request.user, filters=contact_filters(form))
    )
    header = [*EXPORT_COLUMNS, *(f"custom.{key}" for key in custom_keys)]
    cards = (
        {
            "full_name": c.full_name,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "email": c.primary_email,
            "phone": c.primary_phone,
            "company": linked_name(request.user, "companies", c.company) if c.company_id else "",
            "title": c.title,
        }
        for c in contacts
    )
    rows = (_export_row(c, custom_keys, request.user) for c in contacts)
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        actor=request.user,
        target="contacts",
        detail={"format": fmt},
    )
    return _download(fmt, "contacts", header, rows, cards)


COMPANY_COLUMNS = ("id", "name", "domain", "industry", "size", "parent", "owner")


@login_required
@service_errors
def export_companies(request: HttpRequest, fmt: str) -> HttpResponse:
    """The company list as filtered on its page, as CSV, XLSX or vCard (an organisation card
    per company; needs the export right)."""
    form = company_filter_form(request)
    custom_keys = [cf.key for cf in customer_selectors.custom_fields_for(model="customers.company")]
    companies = _checked_first(
        customer_selectors.companies_export(user=request.user, filters=company_filters(form))
    )
    header = [*COMPANY_COLUMNS, *(f"custom.{key}" for key in custom_keys)]
    rows = (
        [
            c.pk, c.name, c.domain, c.industry, c.size,
            linked_name(request.user, "companies", c.parent) if c.parent_id else "",
            c.owner.get_username() if c.owner_id else "",
            *((c.custom or {}).get(key, "") for key in custom_keys),
        ]
        for c in companies
    )  # fmt: skip
    cards = ({"full_name": c.name, "company": c.name, "url": c.domain} for c in companies)
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        actor=request.user,
        target="companies",
        detail={"format": fmt},
    )
    return _download(fmt, "companies", header, rows, cards)
