"""Contacts: list (filter, sort, keyset pages, bulk actions, CSV export), detail, create, edit,
delete. Every read is a selector and every write a service; both check access."""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kith.core.errors import Conflict, FieldError, Forbidden, NotFound, StaleEdit
from kith.customers import selectors, services
from kith.customers.models import Consent, Contact, Relationship
from kith.customers.selectors import CONTACT_SORTS, ContactFilters
from kith.identity import selectors as identity_selectors
from kith.identity.access import linked_name, require
from kith.identity.models import SecurityEvent
from kith.identity.security import security_event_record
from kith.intake import dedupe
from kith.web.export import csv_stream
from kith.web.forms.base import tags_parse
from kith.web.forms.contacts import ContactForm, contact_initial
from kith.web.forms.filters import ContactFilterForm
from kith.web.panels import contact_panels
from kith.web.views.errors import service_errors
from kith.web.views.lists import list_template, safe_next, with_vary

MODEL = "customers.contact"


def stale_message() -> str:
    return _(
        "This contact was changed by someone else since you opened it; reload to see their changes."
    )


def _filter_form(request: HttpRequest) -> ContactFilterForm:
    return ContactFilterForm(
        request.GET,
        owners=identity_selectors.users_assignable(user=request.user),
        teams=identity_selectors.teams_all(),
        custom_fields_list=selectors.custom_fields_for(model=MODEL),
    )


def _filters(form: ContactFilterForm) -> ContactFilters:
    values = form.clean_values()
    return ContactFilters(
        q=values.get("q") or "",
        owner_id=values.get("owner"),
        team_id=values.get("team"),
        tag=values.get("tag") or "",
        stage=values.get("stage") or "",
        company_id=values.get("company"),
        custom=form.custom_values(),
        extra=form.extra_values(),
    )


@login_required
@service_errors
def contact_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = _filters(form)
    # No sort chosen: by name, or newest first when searching (see selectors.default_sort).
    sort = request.GET.get("sort", "")
    if sort not in CONTACT_SORTS:
        sort = selectors.default_sort(filters.q)
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.contacts_list(
            user=request.user,
            filters=filters,
            sort=sort,
            cursor=cursor,
            limit=settings.KITH_PAGE_SIZE,
        )
    except FieldError:
        # A cursor from an old or hand-edited link: start from the first page.
        page = selectors.contacts_list(
            user=request.user, filters=filters, sort=sort, limit=settings.KITH_PAGE_SIZE
        )
    context = {
        "filter_form": form,
        "page": page,
        "contacts": page.items,
        "sort": sort,
        "owners": form.fields["owner"].choices[1:],
        "company": _visible_company(request, filters.company_id) if filters.company_id else None,
    }
    return with_vary(render(request, list_template(request, "web/contacts/list.html"), context))


@login_required
@service_errors
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    custom_fields = selectors.custom_fields_for(model=MODEL)
    points: dict[str, list[Any]] = {"email": [], "phone": [], "social": []}
    for point in contact.point_list:
        points.setdefault(point.kind, []).append(point)
    context = {
        "contact": contact,
        "points": points,
        "custom_values": [
            (cf, (contact.custom or {}).get(cf.key))
            for cf in custom_fields
            if (contact.custom or {}).get(cf.key) not in (None, "")
        ],
        "relationships": selectors.contact_relationships(user=request.user, contact=contact),
        "consents": selectors.contact_consents(contact=contact),
        # History is one of the timeline's kinds (the main column), not a card of its own.
        "panels": contact_panels(),
        "link_choices": LINK_CHOICES,
    }
    return render(request, "web/contacts/detail.html", context)


def _form(request: HttpRequest, *, initial: dict[str, Any], company: Any = None) -> ContactForm:
    data = request.POST if request.method == "POST" else None
    if data is not None and data.get("company", "").isdigit():
        company = _visible_company(request, int(data["company"]))
    return ContactForm(
        data,
        initial=initial,
        owners=identity_selectors.users_assignable(user=request.user),
        custom_fields_list=selectors.custom_fields_for(model=MODEL),
        company=company,
    )


def _visible_company(request: HttpRequest, company_id: int) -> Any:
    try:
        return selectors.company_get(user=request.user, company_id=company_id)
    except NotFound:  # the service names the field when the form is saved
        return None


def _duplicates_warn(request: HttpRequest, contact: Contact) -> None:
    """Warn on the new contact's page when it is likely someone already on file (the form's
    live check may not have answered before Save was pressed)."""
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
    if candidates:
        names = ", ".join(c.record.full_name for c in candidates[:3])
        messages.warning(
            request,
            _(
                "Possible duplicate: %(names)s already on file. Check and merge them if they are the same person."
            )
            % {"names": names},
        )


@login_required
@service_errors
def contact_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "contacts", "create")
    initial: dict[str, Any] = {"owner": request.user.pk, "lifecycle_stage": "lead"}
    company = None
    if request.GET.get("company", "").isdigit():
        company = _visible_company(request, int(request.GET["company"]))
        initial["company"] = company.pk if company else None
    form = _form(request, initial=initial, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                by=request.user, **form.service_kwargs(only_changed=False)
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("Contact “%(name)s” created.") % {"name": contact.full_name}
            )
            _duplicates_warn(request, contact)
            return redirect("contact-detail", contact_id=contact.pk)
    return render(request, "web/contacts/form.html", {"form": form, "contact": None})


@login_required
@service_errors
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    require(request.user, "contacts", "edit", record=contact)
    custom_fields = selectors.custom_fields_for(model=MODEL)
    form = _form(request, initial=contact_initial(contact, custom_fields), company=contact.company)
    form.fields["version"].required = True
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_update(
                by=request.user,
                contact_id=contact.pk,
                version=form.cleaned_data["version"],
                **form.service_kwargs(only_changed=True),
            )
        except StaleEdit:
            form.add_error(None, stale_message())
            status = 409
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Contact “%(name)s” saved.") % {"name": contact.full_name})
            return redirect("contact-detail", contact_id=contact.pk)
    return render(
        request, "web/contacts/form.html", {"form": form, "contact": contact}, status=status
    )


@login_required
@service_errors
def contact_delete(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    require(request.user, "contacts", "delete", record=contact)
    if request.method == "POST":
        try:
            services.contact_delete(by=request.user, contact_id=contact.pk)
        except Conflict as exc:
            context = {"contact": contact, "conflict": str(exc)}
            return render(request, "web/contacts/delete.html", context, status=409)
        messages.success(request, _("Contact “%(name)s” deleted.") % {"name": contact.full_name})
        return redirect("contact-list")
    return render(request, "web/contacts/delete.html", {"contact": contact})


@require_POST
@login_required
@service_errors
def contacts_bulk(request: HttpRequest) -> HttpResponse:
    """Add a tag to, or assign an owner for, the contacts ticked on the list."""
    back = safe_next(request, default="contact-list")
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    action = request.POST.get("action", "")
    if not ids:
        messages.warning(request, _("Select at least one contact first."))
        return redirect(back)
    try:
        if action == "tag":
            tags = tags_parse(request.POST.get("tag", ""))
            if not tags:
                messages.warning(request, _("Type the tag to add."))
                return redirect(back)
            count = services.contacts_bulk_tag(by=request.user, contact_ids=ids, add=tags)
            messages.success(
                request,
                ngettext(
                    "Tagged %(count)d contact with “%(tag)s”.",
                    "Tagged %(count)d contacts with “%(tag)s”.",
                    count,
                )
                % {"count": count, "tag": ", ".join(tags)},
            )
        elif action == "assign":
            owner = request.POST.get("owner", "")
            if not owner.isdigit():
                messages.warning(request, _("Choose the new owner."))
                return redirect(back)
            count = services.contacts_bulk_assign(
                by=request.user, contact_ids=ids, owner_id=int(owner)
            )
            messages.success(
                request,
                ngettext("Assigned %(count)d contact.", "Assigned %(count)d contacts.", count)
                % {"count": count},
            )
        else:
            messages.warning(request, _("Choose an action."))
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    return redirect(back)


EXPORT_COLUMNS = (
    "id",
    "full_name",
    "first_name",
    "last_name",
    "title",
    "company",
    "email",
    "phone",
    "lifecycle_stage",
    "source_channel",
    "owner",
    "tags",
    "created_at",
)


def _export_row(contact: Contact, custom_keys: list[str], user: Any) -> list[Any]:
    custom = contact.custom or {}
    return [
        contact.pk,
        contact.full_name,
        contact.first_name,
        contact.last_name,
        contact.title,
        linked_name(user, "companies", contact.company) if contact.company_id else "",
        contact.primary_email,
        contact.primary_phone,
        contact.lifecycle_stage,
        contact.source_channel,
        contact.owner.get_username(),
        "; ".join(tag.name for tag in contact.tag_list),
        contact.created_at.isoformat(),
        *(custom.get(key, "") for key in custom_keys),
    ]


@login_required
@service_errors
def contacts_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV (UTF-8 with BOM so spreadsheet apps read Chinese/Vietnamese)."""
    form = _filter_form(request)
    custom_keys = [cf.key for cf in selectors.custom_fields_for(model=MODEL)]
    contacts = iter(selectors.contacts_export(user=request.user, filters=_filters(form)))
    # Take the first row now: a generator checks the export right only when first read, and the
    # 403 must come before the response starts streaming.
    first = next(contacts, None)
    rows = (
        _export_row(contact, custom_keys, request.user)
        for contact in (chain([first], contacts) if first is not None else ())
    )
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        actor=request.user,
        target="contacts",
        detail={"format": "csv"},
    )
    header = [*EXPORT_COLUMNS, *(f"custom.{key}" for key in custom_keys)]
    response = StreamingHttpResponse(
        csv_stream(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="contacts.csv"'
    return response


# --- relationships and consents: small htmx forms on the contact page ----------------------

LINK_CHOICES = {
    "kinds": Relationship.Kind.choices,
    "channels": Consent.Channel.choices,
    "purposes": Consent.Purpose.choices,
    "statuses": Consent.Status.choices,
}


def _section(request: HttpRequest, contact_id: int, template: str, **extra: Any) -> HttpResponse:
    """The relationships or consents card again (htmx), or back to the page (no JavaScript).

    Refused input comes back as 200 with the errors in the card: htmx swaps only 2xx answers."""
    if not getattr(request, "htmx", False):
        for message in (extra.get("link_errors") or extra.get("consent_errors") or {}).values():
            messages.error(request, message)
        if extra.get("link_error"):
            messages.error(request, extra["link_error"])
        return redirect("contact-detail", contact_id=contact_id)
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    context = {
        "contact": contact,
        "relationships": selectors.contact_relationships(user=request.user, contact=contact),
        "consents": selectors.contact_consents(contact=contact),
        "link_choices": LINK_CHOICES,
        **extra,
    }
    return render(request, template, context)


@require_POST
@login_required
@service_errors
def contact_relationship_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    values = {"kind": request.POST.get("kind", ""), "to": request.POST.get("to_contact_id", "")}
    if not values["to"].isdigit():
        errors = {"to_contact_id": _("Choose the other contact.")}
        return _section(
            request, contact_id, "web/contacts/_relationships.html",
            link_errors=errors, link_values=values,
        )  # fmt: skip
    try:
        services.relationship_create(
            by=request.user,
            from_contact_id=contact_id,
            to_contact_id=int(values["to"]),
            kind=values["kind"],
        )
    except FieldError as exc:
        return _section(
            request, contact_id, "web/contacts/_relationships.html",
            link_errors=exc.errors, link_values=values,
        )  # fmt: skip
    return _section(request, contact_id, "web/contacts/_relationships.html")


@require_POST
@login_required
@service_errors
def contact_relationship_remove(
    request: HttpRequest, contact_id: int, relationship_id: int
) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    relationships = selectors.contact_relationships(user=request.user, contact=contact)
    if relationship_id not in {r.pk for r in relationships}:
        raise NotFound(_("Not found."))
    try:
        services.relationship_delete(by=request.user, relationship_id=relationship_id)
    except (NotFound, Forbidden):
        # A link recorded on the other contact, which this user may not edit.
        return _section(
            request, contact_id, "web/contacts/_relationships.html",
            link_error=_("Only someone who may edit the other contact can remove this link."),
        )  # fmt: skip
    return _section(request, contact_id, "web/contacts/_relationships.html")


@require_POST
@login_required
@service_errors
def contact_consent_record(request: HttpRequest, contact_id: int) -> HttpResponse:
    values = {k: request.POST.get(k, "") for k in ("channel", "purpose", "status", "source")}
    try:
        services.consent_record(by=request.user, contact_id=contact_id, **values)
    except FieldError as exc:
        return _section(
            request, contact_id, "web/contacts/_consents.html",
            consent_errors=exc.errors, consent_values=values,
        )  # fmt: skip
    if not getattr(request, "htmx", False):
        messages.success(request, _("Consent recorded."))
    return _section(request, contact_id, "web/contacts/_consents.html", consent_saved=True)


@login_required
def contact_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the contacts matching `q`, for the relationship picker."""
    query = request.GET.get("q", "").strip()
    exclude = request.GET.get("exclude", "")
    page = selectors.contacts_list(
        user=request.user, filters=ContactFilters(q=query), limit=OPTION_LIMIT
    )
    options = [c for c in page.items if str(c.pk) != exclude]
    return render(request, "web/contacts/options.html", {"contacts": options, "query": query})


OPTION_LIMIT = 20
