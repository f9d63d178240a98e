"""Writes of engagement: interactions, tasks and reminders, comments, follows, notifications."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, KithError, NotFound
from kith.customers.models import Company, Contact
from kith.engagement.models import (
    Comment,
    EngagementPreference,
    Follow,
    Interaction,
    Mailbox,
    Notification,
    Task,
)
from kith.engagement.records import record_get
from kith.identity.access import is_admin, require, visible_to
from kith.identity.models import User

MENTION_RE = re.compile(r"(?<![\w@.])@([\w.+-]+)")
BODY_LIMIT = 100_000


def _contact_visible(by: User, contact: Contact | int | None) -> Contact | None:
    if contact is None:
        return None
    contact_id = contact if isinstance(contact, int) else contact.pk
    found = visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk=contact_id)
    row = found.first()
    if row is None:
        raise NotFound(_("Not found."))
    return row


def _company_visible(by: User, company: Company | int | None) -> Company | None:
    if company is None:
        return None
    company_id = company if isinstance(company, int) else company.pk
    row = (
        visible_to(Company.objects.all(), user=by, module="companies").filter(pk=company_id).first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return row


def _record_check(record_model: str, record_id: int | None, errors: dict[str, str]) -> None:
    if bool(record_model) != (record_id is not None):
        errors["record_model"] = _("Give both the record's model and its id, or neither.")
    elif record_model and not re.fullmatch(r"[a-z_]+\.[a-z_]+", record_model):
        errors["record_model"] = _("Write the record's model as app.model, e.g. sales.deal.")


@transaction.atomic
def interaction_create(
    *,
    by: User,
    kind: str,
    occurred_at: datetime | None = None,
    contact: Contact | int | None = None,
    company: Company | int | None = None,
    record_model: str = "",
    record_id: int | None = None,
    subject: str = "",
    body: str = "",
    direction: str = "",
    channel: str = "",
    duration_seconds: int | None = None,
    outcome: str = "",
    participant_users: Iterable[User | int] = (),
    participant_contacts: Iterable[Contact | int] = (),
    message_id: str = "",
    in_reply_to: str = "",
    thread_key: str = "",
    mailbox: Any = None,
) -> Interaction:
    """Log a call, email, meeting, chat, social message, visit or note.

    It must be about a contact, a company or a record of any app (record_model, record_id, see
    kith.engagement.records); all of them must be visible to `by` (NotFound otherwise). Without
    a company, the contact's is used. Participating contacts `by` cannot see are left out.
    """
    require(by, "interactions", "create")
    errors: dict[str, str] = {}
    if kind not in Interaction.Kind.values:
        errors["kind"] = _("Choose a kind of interaction.")
    if direction not in Interaction.Direction.values:
        errors["direction"] = _("Direction is in, out or empty.")
    if outcome not in Interaction.Outcome.values:
        errors["outcome"] = _("Choose a call outcome.")
    if outcome and kind != Interaction.Kind.CALL:
        errors["outcome"] = _("Only calls have an outcome.")
    if duration_seconds is not None and not 0 <= duration_seconds <= 7 * 24 * 3600:
        errors["duration_seconds"] = _("Duration must be between 0 and one week.")
    if len(subject) > 300:
        errors["subject"] = _("At most 300 characters.")
    if len(body) > BODY_LIMIT:
        errors["body"] = _("The text is too long.")
    if len(channel) > 32:
        errors["channel"] = _("At most 32 characters.")
    _record_check(record_model, record_id, errors)
    if contact is None and company is None and not record_model:
        errors["contact"] = _("Say who or what this interaction is about.")
    if kind == Interaction.Kind.NOTE and not (body.strip() or subject.strip()):
        errors["body"] = _("A note needs some text.")
    if errors:
        raise FieldError(errors)
    if record_model and record_id is not None:
        record_get(user=by, record_model=record_model, record_id=record_id)
    contact_row = _contact_visible(by, contact)
    company_row = _company_visible(by, company)
    company_id = (
        company_row.pk if company_row else (contact_row.company_id if contact_row else None)
    )
    interaction = Interaction.objects.create(
        owner=by,
        team_id=by.team_id,
        kind=kind,
        direction=direction,
        channel=channel.strip().lower(),
        occurred_at=occurred_at or timezone.now(),
        duration_seconds=duration_seconds,
        outcome=outcome,
        subject=subject.strip(),
        body=body,
        contact=contact_row,
        company_id=company_id,
        record_model=record_model,
        record_id=record_id,
        message_id=message_id,
        in_reply_to=in_reply_to,
        thread_key=thread_key or message_id,
        mailbox=mailbox,
    )
    users = [u if isinstance(u, int) else u.pk for u in participant_users]
    if users:
        interaction.participant_users.set(User.objects.filter(pk__in=users, is_active=True))
    contacts = [c if isinstance(c, int) else c.pk for c in participant_contacts]
    if contacts:
        interaction.participant_contacts.set(
            visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk__in=contacts)
        )
    return interaction


def notification_create(
    *,
    recipient: User,
    kind: str,
    text: str,
    url: str = "",
    actor: User | None = None,
    record_model: str = "",
    record_id: int | None = None,
    email: bool = False,
) -> Notification:
    """Put a notification in the recipient's inbox; also email it when `email` is true and the
    recipient has an address (sent after commit, a failed send never undoes the notification)."""
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind[:32],
        text=text[:500],
        url=url[:500],
        actor=actor,
        record_model=record_model,
        record_id=record_id,
    )
    if email and recipient.email:
        transaction.on_commit(lambda: _notification_email(notification))
    return notification


def _notification_email(notification: Notification) -> None:
    link = f"{settings.KITH_BASE_URL}{notification.url}" if notification.url else ""
    EmailMessage(
        subject=notification.text[:120],
        body="\n\n".join(p for p in [notification.text, link] if p),
        to=[notification.recipient.email],
    ).send(fail_silently=True)


def notifications_mark_read(*, by: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(recipient=by, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


def preference_get(*, user: User) -> EngagementPreference:
    """The user's engagement preferences, created on first use."""
    preference, _created = EngagementPreference.objects.get_or_create(user=user)
    return preference


def preference_update(*, by: User, email_reminders: bool) -> EngagementPreference:
    preference = preference_get(user=by)
    preference.email_reminders = email_reminders
    preference.save(update_fields=["email_reminders"])
    return preference


def calendar_token_reset(*, by: User) -> EngagementPreference:
    """A new secret for the user's calendar feed; the old URL stops working."""
    import secrets

    preference = preference_get(user=by)
    preference.calendar_token = secrets.token_urlsafe(24)
    preference.save(update_fields=["calendar_token"])
    return preference


# Tasks -------------------------------------------------------------------------------------


def _task_clean(
    *,
    title: str,
    priority: int,
    status: str,
    due_at: datetime | None,
    remind_at: datetime | None,
    errors: dict[str, str],
) -> None:
    if not title.strip():
        errors["title"] = _("A task needs a title.")
    elif len(title) > 200:
        errors["title"] = _("At most 200 characters.")
    if priority not in Task.Priority.values:
        errors["priority"] = _("Choose a priority.")
    if status not in Task.Status.values:
        errors["status"] = _("Choose a status.")
    if remind_at is not None and due_at is not None and remind_at > due_at:
        errors["remind_at"] = _("The reminder must come before the due time.")


def _assignee_resolve(*, by: User, assignee_id: int | None) -> User:
    if assignee_id is None or assignee_id == by.pk:
        return by
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None:
        raise FieldError.one("assignee_id", _("Choose an active user."))
    return assignee


@transaction.atomic
def task_create(
    *,
    by: User,
    title: str,
    description: str = "",
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
    priority: int = Task.Priority.NORMAL,
    assignee_id: int | None = None,
    contact: Contact | int | None = None,
    company: Company | int | None = None,
    record_model: str = "",
    record_id: int | None = None,
) -> Task:
    """Create a task, assigned to `assignee_id` (default: `by`); the team follows the assignee."""
    require(by, "tasks", "create")
    errors: dict[str, str] = {}
    _task_clean(
        title=title, priority=priority, status="open", due_at=due_at, remind_at=remind_at,
        errors=errors,
    )  # fmt: skip
    _record_check(record_model, record_id, errors)
    if errors:
        raise FieldError(errors)
    if record_model and record_id is not None:
        record_get(user=by, record_model=record_model, record_id=record_id)
    assignee = _assignee_resolve(by=by, assignee_id=assignee_id)
    contact_row = _contact_visible(by, contact)
    company_row = _company_visible(by, company)
    task = Task.objects.create(
        owner=assignee,
        team_id=assignee.team_id,
        created_by=by,
        title=title.strip(),
        description=description,
        due_at=due_at,
        remind_at=remind_at,
        priority=priority,
        contact=contact_row,
        company=company_row,
        record_model=record_model,
        record_id=record_id,
    )
    if assignee.pk != by.pk:
        notification_create(
            recipient=assignee,
            kind="task_assigned",
            text=_("%(user)s assigned you a task: %(title)s") % {"user": by, "title": task.title},
            url="/tasks/",
            actor=by,
            record_model="engagement.task",
            record_id=task.pk,
        )
    return task


def _task_for_write(*, by: User, task_id: int, right: str) -> Task:
    task = (
        visible_to(Task.objects.select_for_update(of=("self",)), user=by, module="tasks")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound(_("Not found."))
    require(by, "tasks", right, task)
    return task


TASK_FIELDS = frozenset(
    {"title", "description", "due_at", "remind_at", "priority", "status", "assignee_id"}
)


@transaction.atomic
def task_update(*, by: User, task_id: int, **changes: Any) -> Task:
    """Change a task's fields; a changed reminder time is delivered again; done sets completed_at."""
    unknown = set(changes) - TASK_FIELDS
    if unknown:
        raise FieldError({name: _("Unknown field.") for name in sorted(unknown)})
    task = _task_for_write(by=by, task_id=task_id, right="edit")
    errors: dict[str, str] = {}
    new = {
        "title": changes.get("title", task.title),
        "priority": changes.get("priority", task.priority),
        "status": changes.get("status", task.status),
        "due_at": changes.get("due_at", task.due_at),
        "remind_at": changes.get("remind_at", task.remind_at),
    }
    _task_clean(**new, errors=errors)
    if errors:
        raise FieldError(errors)
    if "assignee_id" in changes:
        assignee = _assignee_resolve(by=by, assignee_id=changes["assignee_id"])
        task.owner = assignee
        task.team_id = assignee.team_id
    if new["remind_at"] != task.remind_at:
        task.reminded_at = None
    if new["status"] == Task.Status.DONE and task.status != Task.Status.DONE:
        task.completed_at = timezone.now()
    elif new["status"] != Task.Status.DONE:
        task.completed_at = None
    task.title = new["title"].strip()
    task.priority = new["priority"]
    task.status = new["status"]
    task.due_at = new["due_at"]
    task.remind_at = new["remind_at"]
    task.description = changes.get("description", task.description)
    task.version += 1
    task.save()
    return task


@transaction.atomic
def task_delete(*, by: User, task_id: int) -> None:
    task = _task_for_write(by=by, task_id=task_id, right="delete")
    task.delete()


def tasks_remind_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Deliver every due reminder once: an in-app notification, and an email for users who
    asked for them. Returns how many reminders were delivered."""
    now = now or timezone.now()
    delivered = 0
    while True:
        with transaction.atomic():
            due = list(
                Task.objects.select_for_update(skip_locked=True)
                .filter(status=Task.Status.OPEN, reminded_at__isnull=True, remind_at__lte=now)
                .select_related("owner")
                .order_by("remind_at", "id")[:batch]
            )
            if not due:
                return delivered
            by_email = set(
                EngagementPreference.objects.filter(
                    user_id__in={t.owner_id for t in due}, email_reminders=True
                ).values_list("user_id", flat=True)
            )
            for task in due:
                due_text = (
                    timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M")
                    if task.due_at
                    else ""
                )
                text = _("Reminder: %(title)s") % {"title": task.title}
                if due_text:
                    text += " " + _("(due %(when)s)") % {"when": due_text}
                notification_create(
                    recipient=task.owner,
                    kind="task_reminder",
                    text=text,
                    url="/tasks/",
                    record_model="engagement.task",
                    record_id=task.pk,
                    email=task.owner_id in by_email,
                )
            Task.objects.filter(pk__in=[t.pk for t in due]).update(reminded_at=now)
            delivered += len(due)


# Comments, mentions, follows ------------------------------------------------------------------


def mentioned_usernames(body: str) -> list[str]:
    """The @usernames in a comment, in order, without repeats."""
    seen: dict[str, None] = {}
    for name in MENTION_RE.findall(body):
        seen.setdefault(name.rstrip(".").lower(), None)
    return list(seen)


def _sees(user: User, record_model: str, record_id: int) -> bool:
    """Whether `user` may see the record: nobody is told about a record they cannot open."""
    try:
        record_get(user=user, record_model=record_model, record_id=record_id)
    except KithError:
        return False
    return True


@transaction.atomic
def comment_create(
    *, by: User, record_model: str, record_id: int, body: str, url: str = ""
) -> Comment:
    """Comment on a record `by` may see (NotFound otherwise); @mentioned users and the record's
    followers are notified (a link to `url`, default the record's page), and the author starts
    following it."""
    errors: dict[str, str] = {}
    _record_check(record_model, record_id, errors)
    if not body.strip():
        errors["body"] = _("Write a comment.")
    elif len(body) > 10_000:
        errors["body"] = _("The comment is too long.")
    if errors:
        raise FieldError(errors)
    ref = record_get(user=by, record_model=record_model, record_id=record_id)
    url = url or ref.url
    comment = Comment.objects.create(
        record_model=record_model, record_id=record_id, body=body.strip(), author=by
    )
    names = mentioned_usernames(body)
    mentioned = list(User.objects.filter(username__in=names, is_active=True)) if names else []
    mentioned = [
        u for u in mentioned if u.username.lower() in names and _sees(u, record_model, record_id)
    ]
    if mentioned:
        comment.mentions.set(mentioned)
    snippet = comment.body[:120]
    told: set[int] = {by.pk}
    for user in mentioned:
        if user.pk in told:
            continue
        told.add(user.pk)
        notification_create(
            recipient=user,
            kind="mention",
            text=_("%(user)s mentioned you: %(text)s") % {"user": by, "text": snippet},
            url=url,
            actor=by,
            record_model=record_model,
            record_id=record_id,
        )
    followers = User.objects.filter(
        pk__in=Follow.objects.filter(record_model=record_model, record_id=record_id).values(
            "user_id"
        ),
        is_active=True,
    ).exclude(pk__in=told)
    for user in followers:
        if not _sees(user, record_model, record_id):
            continue
        notification_create(
            recipient=user,
            kind="comment",
            text=_("%(user)s commented: %(text)s") % {"user": by, "text": snippet},
            url=url,
            actor=by,
            record_model=record_model,
            record_id=record_id,
        )
    Follow.objects.get_or_create(user=by, record_model=record_model, record_id=record_id)
    return comment


def follow_set(*, by: User, record_model: str, record_id: int, following: bool) -> bool:
    """Follow or stop following a record `by` may see (NotFound otherwise); returns whether the
    user now follows it. Followers are told of the record's new comments."""
    record_get(user=by, record_model=record_model, record_id=record_id)
    if following:
        Follow.objects.get_or_create(user=by, record_model=record_model, record_id=record_id)
    else:
        Follow.objects.filter(user=by, record_model=record_model, record_id=record_id).delete()
    return following


# Email out ---------------------------------------------------------------------------------


@transaction.atomic
def email_send(
    *,
    by: User,
    contact: Contact | int,
    subject: str,
    body: str,
    to_address: str = "",
) -> Interaction:
    """Send an email to a contact through SMTP and log it as an outbound email interaction with
    its Message-ID. Raises FieldError when the contact has no address or the server refuses."""
    contact_row = _contact_visible(by, contact)
    assert contact_row is not None
    require(by, "interactions", "create")
    address = (to_address or contact_row.primary_email).strip()
    errors: dict[str, str] = {}
    if not address:
        errors["to_address"] = _("This contact has no email address.")
    if not subject.strip():
        errors["subject"] = _("Write a subject.")
    if not body.strip():
        errors["body"] = _("Write a message.")
    if errors:
        raise FieldError(errors)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">").strip() or "kith.local"
    message_id = make_msgid(domain=domain)
    message = EmailMessage(
        subject=subject.strip(),
        body=body,
        to=[address],
        reply_to=[by.email] if by.email else None,
        headers={"Message-ID": message_id},
    )
    try:
        message.send(fail_silently=False)
    except OSError as exc:
        raise FieldError.one("to_address", _("The mail server refused the message.")) from exc
    return interaction_create(
        by=by,
        kind=Interaction.Kind.EMAIL,
        contact=contact_row,
        subject=subject,
        body=body,
        direction=Interaction.Direction.OUT,
        channel="email",
        message_id=message_id.strip("<>"),
    )


# Mailboxes ---------------------------------------------------------------------------------

MAILBOX_FIELDS = frozenset(
    {
        "name", "host", "port", "use_ssl", "username", "password_env", "folder", "purpose",
        "create_leads_for_unknown", "owner_id", "is_active",
    }
)  # fmt: skip
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,99}")


def _mailbox_apply(mailbox: Mailbox, changes: dict[str, Any], errors: dict[str, str]) -> None:
    from kith.engagement.mail import INBOUND_MAIL_HANDLERS

    for name, limit in (("name", 100), ("host", 253), ("username", 254), ("folder", 200)):
        if name in changes:
            value = str(changes[name] or "").strip()
            if not value:
                errors[name] = _("This field is required.")
            elif len(value) > limit:
                errors[name] = _("Use at most %(n)d characters.") % {"n": limit}
            setattr(mailbox, name, value)
    if "port" in changes:
        try:
            mailbox.port = int(changes["port"])
        except (TypeError, ValueError):
            mailbox.port = 0
        if not 1 <= mailbox.port <= 65535:
            errors["port"] = _("A port is a number from 1 to 65535.")
    if "password_env" in changes:
        mailbox.password_env = str(changes["password_env"] or "").strip()
        if mailbox.password_env and not _ENV_NAME.fullmatch(mailbox.password_env):
            errors["password_env"] = _(
                "Name an environment variable: capital letters, digits and underscores."
            )
    if "purpose" in changes:
        mailbox.purpose = str(changes["purpose"] or "")
        if mailbox.purpose not in Mailbox.Purpose.values:
            errors["purpose"] = _("Choose what this mailbox is for.")
        elif mailbox.purpose not in INBOUND_MAIL_HANDLERS:
            errors["purpose"] = _("No installed app files mail for this purpose.")
    for flag in ("use_ssl", "create_leads_for_unknown", "is_active"):
        if flag in changes:
            setattr(mailbox, flag, bool(changes[flag]))
    if "owner_id" in changes:
        owner = User.objects.filter(pk=changes["owner_id"] or 0, is_active=True).first()
        if owner is None:
            errors["owner_id"] = _("Choose an active user.")
        else:
            mailbox.owner = owner
    if "name" in changes and "name" not in errors:
        clash = Mailbox.objects.filter(name=mailbox.name).exclude(pk=mailbox.pk or 0)
        if clash.exists():
            errors["name"] = _("Another mailbox has this name.")


@transaction.atomic
def mailbox_create(*, by: User, **fields: Any) -> Mailbox:
    """An IMAP mailbox the worker polls (administrators only). The password is never stored:
    `password_env` names the environment variable that holds it."""
    if not is_admin(by):
        raise FieldError.one("__all__", _("Only administrators can set up mailboxes."))
    unknown = set(fields) - MAILBOX_FIELDS
    if unknown:
        raise FieldError({name: _("Unknown field.") for name in sorted(unknown)})
    mailbox = Mailbox(purpose=Mailbox.Purpose.TIMELINE)
    errors: dict[str, str] = {}
    values = {"port": 993, "folder": "INBOX", "use_ssl": True, "owner_id": by.pk, **fields}
    for required in ("name", "host", "username"):
        values.setdefault(required, "")
    _mailbox_apply(mailbox, values, errors)
    if errors:
        raise FieldError(errors)
    mailbox.save()
    return mailbox


@transaction.atomic
def mailbox_update(*, by: User, mailbox_id: int, **changes: Any) -> Mailbox:
    """Change a mailbox's settings (administrators only). A new host, user or folder starts
    reading the folder from its first UID; the ledger keeps that from doubling anything."""
    if not is_admin(by):
        raise FieldError.one("__all__", _("Only administrators can set up mailboxes."))
    unknown = set(changes) - MAILBOX_FIELDS
    if unknown:
        raise FieldError({name: _("Unknown field.") for name in sorted(unknown)})
    mailbox = Mailbox.objects.select_for_update().filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound(_("Not found."))
    source = (mailbox.host, mailbox.username, mailbox.folder)
    errors: dict[str, str] = {}
    _mailbox_apply(mailbox, dict(changes), errors)
    if errors:
        raise FieldError(errors)
    if (mailbox.host, mailbox.username, mailbox.folder) != source:
        mailbox.uidvalidity, mailbox.last_uid = None, 0
    if mailbox.password_env:
        mailbox.password = ""
    mailbox.save()
    return mailbox
