"""Pages of engagement: timelines and logging interactions, email out, tasks and my day,
comments and follows, the notification inbox, the calendar feed and unfiled mail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import vobject
from dateutil import tz
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import FieldError
from kith.customers import selectors as customer_selectors
from kith.engagement import mail, selectors, services
from kith.engagement.models import Task
from kith.engagement.records import record_get
from kith.identity.access import can, is_admin, require
from kith.web.forms.engagement import (
    CommentForm,
    EmailForm,
    InteractionForm,
    MailboxForm,
    PreferenceForm,
    TaskForm,
)
from kith.web.views.errors import service_errors

TIMELINE_PAGE = 25


def _kinds(request: HttpRequest) -> list[str]:
    return [k for k in request.GET.getlist("kind") if k][:30]


def _timeline_context(request: HttpRequest, *, page: Any, url: str, kinds: list[str]) -> dict:
    query = "".join(f"&kind={quote(k)}" for k in kinds)
    return {
        "page": page,
        "icons": selectors.ICONS,
        "older_url": f"{url}?cursor={page.next_cursor}{query}" if page.next_cursor else "",
        "kinds": kinds,
        "timeline_url": url,
        "interaction_kinds": selectors.interaction_kinds(),
    }


@login_required
@service_errors
def contact_timeline(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The contact's timeline panel; with a cursor, only the next items and the next button."""
    kinds = _kinds(request)
    cursor = request.GET.get("cursor") or None
    try:
        contact, page = selectors.contact_timeline(
            user=request.user, contact_id=contact_id, cursor=cursor, kinds=kinds,
            limit=TIMELINE_PAGE,
        )  # fmt: skip
    except FieldError as exc:
        return HttpResponse(str(exc), status=400)
    url = reverse("contact-timeline", args=[contact.pk])
    context = _timeline_context(request, page=page, url=url, kinds=kinds)
    if cursor:
        return render(request, "web/engagement/timeline_items.html", context)
    context.update(
        contact=contact,
        all_kinds=selectors.timeline_kinds(),
        form=InteractionForm(initial={"kind": "call", "direction": "out"}),
        comment_form=CommentForm(),
        can_log=can(request.user, "interactions", "create"),
        following=selectors.is_following(
            user=request.user, record_model="customers.contact", record_id=contact.pk
        ),
    )
    return render(request, "web/engagement/timeline_panel.html", context)


@login_required
@service_errors
def company_timeline(request: HttpRequest, company_id: int) -> HttpResponse:
    kinds = _kinds(request)
    cursor = request.GET.get("cursor") or None
    try:
        company, page = selectors.company_timeline(
            user=request.user, company_id=company_id, cursor=cursor, kinds=kinds,
            limit=TIMELINE_PAGE,
        )  # fmt: skip
    except FieldError as exc:
        return HttpResponse(str(exc), status=400)
    url = reverse("company-timeline", args=[company.pk])
    context = _timeline_context(request, page=page, url=url, kinds=kinds)
    if cursor:
        return render(request, "web/engagement/timeline_items.html", context)
    context.update(
        company=company,
        all_kinds=[
            (k, label) for k, label in selectors.timeline_kinds() if k in {"interaction", "change"}
        ],
        form=InteractionForm(initial={"kind": "call", "direction": "out"}),
        can_log=can(request.user, "interactions", "create"),
    )
    return render(request, "web/engagement/timeline_panel.html", context)


def _interaction_log(request: HttpRequest, **about: Any) -> tuple[InteractionForm, bool]:
    form = InteractionForm(request.POST)
    if form.is_valid():
        contact_ids, unknown = selectors.contacts_with_emails(
            user=request.user, emails=form.cleaned_data["participant_emails"]
        )
        if unknown:
            form.add_error(
                "participant_emails",
                _("No contact you can see has these addresses: %(emails)s")
                % {"emails": ", ".join(unknown)},
            )
            return form, False
        try:
            services.interaction_create(
                by=request.user, participant_contacts=contact_ids, **about,
                **form.service_kwargs(),
            )  # fmt: skip
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            return form, True
    return form, False


@login_required
@service_errors
@require_POST
def contact_interaction_create(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Log an interaction from the timeline panel; answers with the refreshed panel (htmx)."""
    contact = customer_selectors.contact_get(user=request.user, contact_id=contact_id)
    form, ok = _interaction_log(request, contact=contact)
    if not ok:
        return render(
            request,
            "web/engagement/interaction_form.html",
            {"form": form, "action": request.path, "target": "#timeline-panel"},
            status=422,
        )
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("contact-detail", contact_id=contact.pk)
    return contact_timeline(_as_get(request), contact_id=contact.pk)


@login_required
@service_errors
@require_POST
def company_interaction_create(request: HttpRequest, company_id: int) -> HttpResponse:
    company = customer_selectors.company_get(user=request.user, company_id=company_id)
    form, ok = _interaction_log(request, company=company)
    if not ok:
        return render(
            request,
            "web/engagement/interaction_form.html",
            {"form": form, "action": request.path, "target": "#timeline-panel"},
            status=422,
        )
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("company-detail", company_id=company.pk)
    return company_timeline(_as_get(request), company_id=company.pk)


def _as_get(request: HttpRequest) -> HttpRequest:
    request.method = "GET"
    request.GET = request.GET.copy()
    request.GET.pop("cursor", None)
    return request


@login_required
@service_errors
@require_POST
def contact_comment_create(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = customer_selectors.contact_get(user=request.user, contact_id=contact_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(
                by=request.user,
                record_model="customers.contact",
                record_id=contact.pk,
                body=form.cleaned_data["body"],
                url=reverse("contact-detail", args=[contact.pk]),
            )
        except FieldError as exc:
            form.add_service_errors(exc)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("contact-detail", contact_id=contact.pk)
    return contact_timeline(_as_get(request), contact_id=contact.pk)


@login_required
@service_errors
@require_POST
def contact_follow(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = customer_selectors.contact_get(user=request.user, contact_id=contact_id)
    services.follow_set(
        by=request.user,
        record_model="customers.contact",
        record_id=contact.pk,
        following=request.POST.get("following") == "1",
    )
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("contact-detail", contact_id=contact.pk)
    return contact_timeline(_as_get(request), contact_id=contact.pk)


@login_required
@service_errors
def contact_email(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Write an email to the contact; it is sent by SMTP and logged on the timeline."""
    contact = customer_selectors.contact_get(user=request.user, contact_id=contact_id)
    require(request.user, "interactions", "create")
    form = EmailForm(request.POST or None, initial={"to_address": contact.primary_email})
    if request.method == "POST" and form.is_valid():
        try:
            services.email_send(by=request.user, contact=contact, **form.cleaned_data)
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("Email sent to %(to)s.") % {"to": form.cleaned_data["to_address"]}
            )
            return redirect("contact-detail", contact_id=contact.pk)
    return render(request, "web/engagement/email_form.html", {"form": form, "contact": contact})


# Tasks -------------------------------------------------------------------------------------


@login_required
@service_errors
def task_list(request: HttpRequest) -> HttpResponse:
    """My day: overdue tasks, today's tasks and meetings, undated tasks; or the team's list."""
    view = request.GET.get("view", "day")
    context: dict[str, Any] = {"view": view}
    if view == "day":
        context["day"] = selectors.my_day(user=request.user)
    else:
        filters = selectors.TaskFilters(
            mine=view not in {"team", "team_overdue"},
            overdue=view in {"overdue", "team_overdue"},
            status="open",
        )
        try:
            context["page"] = selectors.tasks_list(
                user=request.user, filters=filters, cursor=request.GET.get("cursor") or None,
                limit=settings.KITH_PAGE_SIZE,
            )  # fmt: skip
        except FieldError as exc:
            return HttpResponse(str(exc), status=400)
    context["now"] = timezone.now()
    return render(request, "web/engagement/task_list.html", context)


def _task_form(request: HttpRequest, initial: dict[str, Any]) -> TaskForm:
    return TaskForm(request.POST or None, initial=initial)


@login_required
@service_errors
def task_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "tasks", "create")
    contact = None
    contact_id = request.GET.get("contact") or request.POST.get("contact")
    if contact_id and str(contact_id).isdigit():
        contact = customer_selectors.contact_get(user=request.user, contact_id=int(contact_id))
    # A task about another record (a ticket, a deal…), from its activity panel.
    record = None
    record_model = request.GET.get("record_model") or request.POST.get("record_model") or ""
    record_id = request.GET.get("record_id") or request.POST.get("record_id") or ""
    if record_model and record_id.isdigit():
        record = _record_or_404(request, record_model, int(record_id))
    form = _task_form(request, {"assignee_id": request.user.pk, "priority": 2})
    if request.method == "POST" and form.is_valid():
        about: dict[str, Any] = {"contact": contact}
        if record is not None:
            about = {"record_model": record.model, "record_id": record.id,
                     "contact": contact or record.contact_id}  # fmt: skip
        try:
            task = services.task_create(by=request.user, **about, **form.cleaned_data)
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Task “%(title)s” created.") % {"title": task.title})
            if record is not None:
                return redirect(record.url)
            if contact is not None:
                return redirect("contact-detail", contact_id=contact.pk)
            return redirect("task-list")
    context = {"form": form, "contact": contact, "task": None, "record": record}
    return render(request, "web/engagement/task_form.html", context)


@login_required
@service_errors
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, task_id=task_id)
    initial = {
        "title": task.title, "due_at": task.due_at, "remind_at": task.remind_at,
        "priority": task.priority, "assignee_id": task.owner_id, "description": task.description,
    }  # fmt: skip
    form = _task_form(request, initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            services.task_update(by=request.user, task_id=task.pk, **changes)
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Task saved."))
            return redirect("task-list")
    return render(
        request,
        "web/engagement/task_form.html",
        {"form": form, "contact": task.contact, "task": task},
    )


@login_required
@service_errors
@require_POST
def task_status(request: HttpRequest, task_id: int) -> HttpResponse:
    status = request.POST.get("status", "")
    if status not in Task.Status.values:
        return HttpResponse(_("Choose a status."), status=400)
    services.task_update(by=request.user, task_id=task_id, status=status)
    return redirect(request.POST.get("next") if _safe(request.POST.get("next")) else "task-list")


def _safe(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//")  # type: ignore[union-attr]


@login_required
@service_errors
def contact_tasks_panel(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact, tasks = selectors.contact_tasks(user=request.user, contact_id=contact_id)
    return render(
        request,
        "web/engagement/tasks_panel.html",
        {"contact": contact, "tasks": tasks, "now": timezone.now()},
    )


# Notifications, preferences, calendar --------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.notifications_list(
            user=request.user, unread_only=request.GET.get("unread") == "1",
            cursor=request.GET.get("cursor") or None, limit=settings.KITH_PAGE_SIZE,
        )  # fmt: skip
    except FieldError as exc:
        return HttpResponse(str(exc), status=400)
    return render(request, "web/engagement/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    services.notifications_mark_read(by=request.user, notification_ids=ids or None)
    target = request.POST.get("next")
    return redirect(target if _safe(target) else "notification-list")


@login_required
def engagement_preferences(request: HttpRequest) -> HttpResponse:
    preference = services.preference_get(user=request.user)
    form = PreferenceForm(
        request.POST or None, initial={"email_reminders": preference.email_reminders}
    )
    if request.method == "POST":
        if request.POST.get("reset_calendar") == "1":
            services.calendar_token_reset(by=request.user)
            messages.success(request, _("Your calendar link was replaced."))
            return redirect("notification-preferences")
        if form.is_valid():
            services.preference_update(
                by=request.user, email_reminders=form.cleaned_data["email_reminders"]
            )
            messages.success(request, _("Preferences saved."))
            return redirect("notification-preferences")
    feed = request.build_absolute_uri(reverse("calendar-feed", args=[preference.calendar_token]))
    return render(request, "web/engagement/preferences.html", {"form": form, "feed_url": feed})


def _utc(moment: Any) -> Any:
    # vobject writes dateutil's UTC as "…Z"; it cannot name the stdlib's timezone.utc.
    return moment.astimezone(tz.UTC)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's tasks and meetings as an iCalendar (RFC 5545) feed; the token is the secret."""
    user = selectors.calendar_owner(token=token)
    if user is None:
        raise Http404
    tasks, meetings = selectors.calendar_entries(user=user)
    calendar = vobject.iCalendar()
    calendar.add("prodid").value = "-//Kith//Engagement//EN"
    calendar.add("x-wr-calname").value = _("Kith tasks and meetings")
    stamp = timezone.now()
    host = settings.KITH_BASE_URL.split("://", 1)[-1].split("/")[0] or "kith"
    for task in tasks:
        todo = calendar.add("vtodo")
        todo.add("uid").value = f"task-{task.pk}@{host}"
        todo.add("dtstamp").value = _utc(stamp)
        todo.add("summary").value = task.title
        assert task.due_at is not None
        todo.add("due").value = _utc(task.due_at)
        todo.add("priority").value = str({4: 1, 3: 3, 2: 5, 1: 9}[task.priority])
        todo.add("status").value = {"open": "NEEDS-ACTION", "done": "COMPLETED"}.get(
            task.status, "CANCELLED"
        )
        if task.description:
            todo.add("description").value = task.description
    for meeting in meetings:
        event = calendar.add("vevent")
        event.add("uid").value = f"meeting-{meeting.pk}@{host}"
        event.add("dtstamp").value = _utc(stamp)
        event.add("summary").value = meeting.subject or _("Meeting")
        event.add("dtstart").value = _utc(meeting.occurred_at)
        event.add("dtend").value = _utc(meeting.occurred_at) + timedelta(
            seconds=meeting.duration_seconds or 1800
        )
        if meeting.body:
            event.add("description").value = meeting.body[:2000]
    response = HttpResponse(calendar.serialize(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kith.ics"'
    return response


def _admin_only(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise Http404


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    """The IMAP mailboxes the worker polls, with their state and unfiled counts (admins)."""
    _admin_only(request)
    mailboxes = selectors.mailboxes_list(user=request.user)
    return render(request, "web/engagement/mailbox_list.html", {"mailboxes": mailboxes})


@login_required
@service_errors
def mailbox_form(request: HttpRequest, mailbox_id: int | None = None) -> HttpResponse:
    """Set up a mailbox or change its settings (admins); the password stays in the environment."""
    _admin_only(request)
    mailbox = (
        selectors.mailbox_get(user=request.user, mailbox_id=mailbox_id) if mailbox_id else None
    )
    initial: dict[str, Any] = {"owner_id": request.user.pk}
    if mailbox is not None:
        initial = {name: getattr(mailbox, name) for name in MailboxForm.base_fields}
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if mailbox is None:
                saved = services.mailbox_create(by=request.user, **form.cleaned_data)
            else:
                changes = {k: form.cleaned_data[k] for k in form.changed_data}
                saved = services.mailbox_update(by=request.user, mailbox_id=mailbox.pk, **changes)
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Mailbox “%(name)s” saved.") % {"name": saved.name})
            return redirect("mailbox-list")
    return render(request, "web/engagement/mailbox_form.html", {"form": form, "mailbox": mailbox})


@login_required
@service_errors
@require_POST
def mail_refile(request: HttpRequest, message_id: int) -> HttpResponse:
    """Try an unfiled message again (admins)."""
    entry = mail.message_refile(by=request.user, message_id=message_id)
    if entry.status == entry.Status.FILED:
        messages.success(request, _("Filed: %(where)s") % {"where": entry.filed_as})
    else:
        messages.error(request, _("Still unfiled: %(reason)s") % {"reason": entry.reason})
    return redirect("mail-unfiled")


@login_required
def mail_unfiled(request: HttpRequest) -> HttpResponse:
    """Messages from the mailboxes that could not be filed, with the reason (admins)."""
    try:
        page = selectors.unfiled_messages(
            user=request.user, cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
        )  # fmt: skip
    except FieldError as exc:
        return HttpResponse(str(exc), status=400)
    return render(request, "web/engagement/unfiled.html", {"page": page})


@login_required
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The nav's bell with the unread count, loaded by htmx so a page pays no query for it."""
    count = selectors.notifications_unread_count(user=request.user)
    return render(request, "web/engagement/bell_count.html", {"unread": count})


# Any record: interactions about it, comments and follows (e.g. the ticket and deal pages) -----


def _record_panel(
    request: HttpRequest, record_model: str, record_id: int, status: int = 200, **extra: Any
) -> HttpResponse:
    try:
        activity = selectors.record_activity(
            user=request.user, record_model=record_model, record_id=record_id,
            cursor=request.GET.get("cursor") or None,
        )  # fmt: skip
    except FieldError as exc:
        if "record_model" in exc.errors:
            raise Http404 from exc
        return HttpResponse(str(exc), status=400)
    context = {
        "activity": activity,
        "record": activity.record,
        "icons": selectors.ICONS,
        "form": InteractionForm(initial={"kind": "call", "direction": "out"}),
        "comment_form": CommentForm(),
        "can_log": can(request.user, "interactions", "create"),
        **extra,
    }
    return render(request, "web/engagement/record_activity.html", context, status=status)


@login_required
@service_errors
def record_activity(request: HttpRequest, record_model: str, record_id: int) -> HttpResponse:
    """The activity panel of any record: interactions about it (with participants), comments
    with @mentions, follow/unfollow, and the forms to add to them."""
    return _record_panel(request, record_model, record_id)


def _record_or_404(request: HttpRequest, record_model: str, record_id: int) -> Any:
    try:
        return record_get(user=request.user, record_model=record_model, record_id=record_id)
    except FieldError as exc:
        raise Http404 from exc


@login_required
@service_errors
@require_POST
def record_interaction_create(
    request: HttpRequest, record_model: str, record_id: int
) -> HttpResponse:
    """Log an interaction about a record (its visible contact and company are filled in)."""
    record = _record_or_404(request, record_model, record_id)
    form, ok = _interaction_log(
        request, record_model=record.model, record_id=record.id, contact=record.contact_id,
        company=record.company_id,
    )  # fmt: skip
    if not ok:
        return _record_panel(_as_get(request), record.model, record.id, form=form, status=422)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(record.url)
    return _record_panel(_as_get(request), record.model, record.id)


@login_required
@service_errors
@require_POST
def record_comment_create(request: HttpRequest, record_model: str, record_id: int) -> HttpResponse:
    record = _record_or_404(request, record_model, record_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(
                by=request.user, record_model=record.model, record_id=record.id,
                body=form.cleaned_data["body"], url=record.url,
            )  # fmt: skip
        except FieldError as exc:
            form.add_service_errors(exc)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(record.url)
    if form.errors:
        return _record_panel(_as_get(request), record.model, record.id, comment_form=form)
    return _record_panel(_as_get(request), record.model, record.id)


@login_required
@service_errors
@require_POST
def record_follow(request: HttpRequest, record_model: str, record_id: int) -> HttpResponse:
    record = _record_or_404(request, record_model, record_id)
    services.follow_set(
        by=request.user, record_model=record.model, record_id=record.id,
        following=request.POST.get("following") == "1",
    )  # fmt: skip
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(record.url)
    return _record_panel(_as_get(request), record.model, record.id)
