"""Service pages: tickets (list, detail, create, edit, reply, status), SLA policies, service
metrics, the contact/company ticket panels, and the public support form (the CSAT page is feedback's)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kith.core.errors import FieldError, Forbidden, NotFound, StaleEdit
from kith.core.validation import DAY_MAX, DAY_MIN
from kith.customers import selectors as customer_selectors
from kith.identity import selectors as identity_selectors
from kith.identity.access import require
from kith.service import selectors, services
from kith.service.models import Priority, Ticket, TicketEvent
from kith.web.forms.service import PublicSupportForm, ReplyForm, TicketForm
from kith.web.views.errors import service_errors
from kith.web.views.lists import list_template, with_vary


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@service_errors
def ticket_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    priority = request.GET.get("priority", "")
    channel = request.GET.get("channel", "")
    filters = selectors.TicketFilters(
        status=status if status in Ticket.Status.values else "",
        priority=priority if priority in Priority.values else "",
        channel=channel if channel in Ticket.Channel.values else "",
        owner_id=_int(request.GET.get("owner")),
        contact_id=_int(request.GET.get("contact")),
        company_id=_int(request.GET.get("company")),
        breached=request.GET.get("breached") == "1",
        active=request.GET.get("active") == "1",
    )
    try:
        page = selectors.tickets_list(
            user=request.user,
            filters=filters,
            cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
            columns=selectors.LIST_COLUMNS,
        )
    except FieldError:
        page = selectors.tickets_list(
            user=request.user,
            filters=filters,
            limit=settings.KITH_PAGE_SIZE,
            columns=selectors.LIST_COLUMNS,
        )
    # Labels looked up once per page: get_FOO_display() rebuilds its choices map on every call.
    statuses = {k: str(v) for k, v in Ticket.Status.choices}
    priorities = {k: str(v) for k, v in Priority.choices}
    channels = {k: str(v) for k, v in Ticket.Channel.choices}
    for ticket in page.items:
        ticket.status_label = statuses.get(ticket.status, ticket.status)  # type: ignore[attr-defined]
        ticket.priority_label = priorities.get(ticket.priority, ticket.priority)  # type: ignore[attr-defined]
        ticket.channel_label = channels.get(ticket.channel, ticket.channel)  # type: ignore[attr-defined]
    context = {
        "page": page,
        "tickets": page.items,
        # One reverse() per page rather than one per row.
        "detail_prefix": reverse("ticket-detail", args=[0]).removesuffix("0/"),
        "filters": filters,
        "statuses": Ticket.Status.choices,
        "priorities": Priority.choices,
        "channels": Ticket.Channel.choices,
        "now": timezone.now(),
    }
    return with_vary(
        render(request, list_template(request, "web/service/ticket_list.html"), context)
    )


def _chosen(request: HttpRequest, name: str, initial: dict[str, Any], get: Any) -> Any:
    """The record a picker shows as chosen: the posted one, else the initial one (if visible)."""
    value = _int(request.POST.get(name)) if request.method == "POST" else initial.get(name)
    if not value:
        return None
    try:
        return get(user=request.user, pk=value)
    except (NotFound, Forbidden):
        return None


def _ticket_form(request: HttpRequest, initial: dict[str, Any], editing: bool) -> TicketForm:
    contact = _chosen(
        request, "contact_id", initial,
        lambda user, pk: customer_selectors.contact_get(user=user, contact_id=pk),
    )  # fmt: skip
    company = _chosen(
        request, "company_id", initial,
        lambda user, pk: customer_selectors.company_get(user=user, company_id=pk),
    )  # fmt: skip
    return TicketForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        owners=identity_selectors.users_assignable(user=request.user, module="tickets"),
        editing=editing,
        contact=contact,
        company=company,
    )


@login_required
@service_errors
def ticket_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "tickets", "create")
    initial = {
        "owner_id": request.user.pk,
        "priority": Priority.NORMAL,
        "channel": Ticket.Channel.PHONE,
        "contact_id": _int(request.GET.get("contact")),
        "company_id": _int(request.GET.get("company")),
    }
    form = _ticket_form(request, initial, editing=False)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(by=request.user, **form.service_kwargs())
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Ticket %(ref)s created.") % {"ref": ticket.reference})
            return redirect("ticket-detail", ticket_id=ticket.pk)
    return render(request, "web/service/ticket_form.html", {"form": form, "ticket": None})


@login_required
@service_errors
def ticket_edit(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    require(request.user, "tickets", "edit", record=ticket)
    initial = {
        name: getattr(ticket, name)
        for name in ("subject", "description", "contact_id", "company_id", "priority",
                     "category", "owner_id", "version")
    }  # fmt: skip
    form = _ticket_form(request, initial, editing=True)
    status = 200
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.service_kwargs().items() if k in form.changed_data}
        try:
            services.ticket_update(
                by=request.user,
                ticket_id=ticket.pk,
                version=form.cleaned_data["version"],
                **changes,
            )
        except StaleEdit as exc:
            form.add_error(None, str(exc))
            status = 409
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Ticket saved."))
            return redirect("ticket-detail", ticket_id=ticket.pk)
    context = {"form": form, "ticket": ticket}
    return render(request, "web/service/ticket_form.html", context, status=status)


# The messages of a ticket's conversation (the rest of its events are its history).
CONVERSATION = frozenset(
    {TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE, TicketEvent.Kind.CUSTOMER_REPLY}
)


@login_required
@service_errors
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    events = selectors.ticket_events(ticket=ticket)
    context = {
        "ticket": ticket,
        "history": [e for e in events if e.kind not in CONVERSATION],
        "conversation": [e for e in events if e.kind in CONVERSATION],
        "clocks": selectors.ticket_sla(ticket=ticket),
        "transitions": [
            (s, Ticket.Status(s).label)
            for s in Ticket.Status.values
            if s in services.TRANSITIONS[ticket.status]
        ],
        "reply_form": ReplyForm(),
    }
    return render(request, "web/service/ticket_detail.html", context)


@login_required
@require_POST
@service_errors
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    internal = request.POST.get("action") == "note"
    write = services.ticket_note if internal else services.ticket_reply
    try:
        write(by=request.user, ticket_id=ticket_id, text=request.POST.get("text", ""))
    except FieldError as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(
            request, _("Internal note added.") if internal else _("Reply sent to the customer.")
        )
    return redirect("ticket-detail", ticket_id=ticket_id)


@login_required
@require_POST
@service_errors
def ticket_transition(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        ticket = services.ticket_transition(
            by=request.user, ticket_id=ticket_id, status=request.POST.get("status", "")
        )
    except FieldError as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(
            request, _("Ticket is now %(status)s.") % {"status": ticket.get_status_display()}
        )
    return redirect("ticket-detail", ticket_id=ticket_id)


@login_required
@service_errors
def sla_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "tickets", "read")
    context = {"policies": selectors.sla_policies_list(), "calendars": selectors.calendars_list()}
    return render(request, "web/service/sla_list.html", context)


def _day(value: str | None, default: datetime) -> datetime:
    try:
        parsed = parse_date(value or "") if value else None
    except ValueError:
        parsed = None
    if parsed is None or not DAY_MIN <= parsed <= DAY_MAX:
        return default
    return timezone.make_aware(datetime.combine(parsed, time.min))


@login_required
@service_errors
def ticket_metrics(request: HttpRequest) -> HttpResponse:
    require(request.user, "tickets", "read")
    today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    start = _day(request.GET.get("start"), today - timedelta(days=180))
    end = _day(request.GET.get("end"), today) + timedelta(days=1)
    group = "agent" if request.GET.get("group") == "agent" else "team"
    team_id, owner_id = _int(request.GET.get("team")), _int(request.GET.get("agent"))
    try:
        metrics = selectors.service_metrics(
            user=request.user, start=start, end=end, group=group, team_id=team_id, owner_id=owner_id
        )
    except FieldError as exc:  # a range too long or out of the calendar: the default range
        messages.error(request, " ".join(exc.errors.values()))
        start, end = today - timedelta(days=180), today + timedelta(days=1)
        metrics = selectors.service_metrics(
            user=request.user, start=start, end=end, group=group, team_id=team_id, owner_id=owner_id
        )
    months = metrics.months
    chart = {
        "months": [m.month for m in months],
        "created": [m.created for m in months],
        "resolved": [m.resolved for m in months],
        "csat": [m.csat_average for m in months],
        "sla": [m.sla_attainment for m in months],
        "first_response": [m.first_response_hours for m in months],
        "resolution": [m.resolution_hours for m in months],
        "labels": {
            "created": _("Created"),
            "resolved": _("Resolved"),
            "csat": _("Average CSAT"),
            "sla": _("SLA attainment (%)"),
            "first_response": _("Mean first response (hours)"),
            "resolution": _("Mean resolution (hours)"),
        },
    }
    context = {
        "metrics": metrics,
        "chart": chart,
        "start": start.date(),
        "end": (end - timedelta(days=1)).date(),
        "group": group,
        "teams": identity_selectors.teams_visible(user=request.user, module="tickets"),
        "agents": identity_selectors.users_assignable(user=request.user, module="tickets"),
        "team_id": team_id,
        "agent_id": owner_id,
    }
    return render(request, "web/service/metrics.html", context)


@login_required
@service_errors
def contact_tickets_panel(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = customer_selectors.contact_get(user=request.user, contact_id=contact_id)
    panel = selectors.contact_tickets_panel(user=request.user, contact=contact)
    return render(request, "web/service/panel.html", {"panel": panel, "contact": contact})


@login_required
@service_errors
def company_tickets_panel(request: HttpRequest, company_id: int) -> HttpResponse:
    company = customer_selectors.company_get(user=request.user, company_id=company_id)
    panel = selectors.company_tickets_panel(user=request.user, company_id=company.pk)
    return render(request, "web/service/panel.html", {"panel": panel, "company": company})


def _client_ip(request: HttpRequest) -> str:
    # Behind a proxy set KITH_TRUST_X_FORWARDED_FOR; otherwise the header is the client's word.
    if getattr(settings, "KITH_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[-1].strip())
    return str(request.META.get("REMOTE_ADDR", ""))


# Public pages: no signed-in user acts here. The support form may be embedded elsewhere, where
# the CSRF cookie is a third-party cookie; spam is held off by the honeypot and the rate limit.
@csrf_exempt
def support_public(request: HttpRequest) -> HttpResponse:
    form = PublicSupportForm(request.POST or None)
    status = 200
    context: dict[str, Any] = {"form": form, "ticket": None}
    if request.method == "POST":
        form.is_valid()
        try:
            ticket = services.support_form_submit(data=request.POST, ip=_client_ip(request))
        except services.RateLimited as exc:
            form.add_error(None, exc.errors["__all__"])
            status = 429
        except FieldError as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
            status = 422
        else:
            context["thanks"] = True
            context["ticket"] = ticket
    return render(request, "web/service/support_public.html", context, status=status)
