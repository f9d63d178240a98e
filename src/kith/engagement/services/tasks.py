"""Tasks and reminders: create, change, delete, and deliver due reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.core.events import event_record
from kith.customers.models import Company, Contact
from kith.engagement.models import EngagementPreference, Task
from kith.engagement.records import record_get
from kith.engagement.services.about import company_visible, contact_visible, record_fields_check
from kith.engagement.services.notifications import notification_create
from kith.identity.access import require, visible_to
from kith.identity.models import User

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
    record_fields_check(record_model, record_id, errors)
    if errors:
        raise FieldError(errors)
    if record_model and record_id is not None:
        record_get(user=by, record_model=record_model, record_id=record_id)
    assignee = _assignee_resolve(by=by, assignee_id=assignee_id)
    contact_row = contact_visible(by, contact)
    company_row = company_visible(by, company)
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
    event_record(name="task.created", record=task, actor=by, payload={"owner_id": assignee.pk})
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
        event_record(name="task.completed", record=task, actor=by)
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
    """Delete a task `by` may delete (NotFound when not visible)."""
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
