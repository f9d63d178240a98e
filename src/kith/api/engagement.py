"""API v1: interactions, timeline, tasks, comments and notifications. Reads go through
kith.engagement.selectors and writes through kith.engagement.services, which apply the
permission gate: a record outside the caller's scope is a 404, the same as a missing one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, Ref, user_ref
from kith.customers import selectors as customer_selectors
from kith.engagement import selectors, services
from kith.engagement.models import Interaction, Task

router = Router(tags=["engagement"])

MAX_PAGE_SIZE = 200
NOT_SENT: Any = None


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def _page(page: Any) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


# --- interactions -------------------------------------------------------------------------------


class InteractionOut(Schema):
    id: int
    kind: str
    direction: str
    channel: str
    occurred_at: datetime
    duration_seconds: int | None
    outcome: str
    subject: str
    body: str
    contact_id: int | None
    company_id: int | None
    record_model: str
    record_id: int | None
    message_id: str
    thread_key: str
    owner: Ref
    participant_user_ids: list[int]
    participant_contact_ids: list[int]

    @staticmethod
    def resolve_owner(interaction: Interaction) -> dict[str, Any]:
        return user_ref(interaction.owner)

    @staticmethod
    def resolve_participant_user_ids(interaction: Interaction) -> list[int]:
        return [u.pk for u in interaction.participant_users.all()]

    @staticmethod
    def resolve_participant_contact_ids(interaction: Interaction) -> list[int]:
        return [c.pk for c in interaction.participant_contacts.all()]


class InteractionPage(Schema):
    items: list[InteractionOut]
    next_cursor: str | None
    prev_cursor: str | None


class InteractionListParams(PageParams):
    contact_id: int | None = None
    company_id: int | None = None
    record_model: str = ""
    record_id: int | None = None
    kind: str = ""


class InteractionIn(Schema):
    kind: str = Field(..., description=", ".join(Interaction.Kind.values))
    occurred_at: datetime | None = None
    contact_id: int | None = None
    company_id: int | None = None
    record_model: str = Field("", description='e.g. "sales.deal", "service.ticket"')
    record_id: int | None = None
    subject: str = ""
    body: str = ""
    direction: str = Field("", description='"in", "out" or ""')
    channel: str = ""
    duration_seconds: int | None = None
    outcome: str = Field("", description=", ".join(v for v in Interaction.Outcome.values if v))
    participant_user_ids: list[int] = []
    participant_contact_ids: list[int] = []


@router.get("/interactions", response={200: InteractionPage, **ERRORS}, tags=["interactions"])
def interactions_list(request: ApiRequest, params: Query[InteractionListParams]) -> Any:
    """Interactions the caller may see, newest first; filter by contact, company or record."""
    if params.contact_id is not None:
        customer_selectors.contact_get(user=request.auth, contact_id=params.contact_id)
    if params.company_id is not None:
        customer_selectors.company_get(user=request.auth, company_id=params.company_id)
    filters = selectors.InteractionFilters(
        contact_id=params.contact_id,
        company_id=params.company_id,
        record_model=params.record_model,
        record_id=params.record_id,
        kind=params.kind,
    )
    return _page(
        selectors.interactions_list(
            user=request.auth, filters=filters, cursor=params.cursor, limit=params.limit
        )
    )


@router.get(
    "/interactions/{int:interaction_id}",
    response={200: InteractionOut, **ERRORS},
    tags=["interactions"],
)
def interaction_detail(request: ApiRequest, interaction_id: int) -> Any:
    return selectors.interaction_get(user=request.auth, interaction_id=interaction_id)


@router.post("/interactions", response={201: InteractionOut, **ERRORS}, tags=["interactions"])
def interaction_create(request: ApiRequest, payload: InteractionIn) -> Any:
    data = payload.model_dump()
    interaction = services.interaction_create(
        by=request.auth,
        kind=data["kind"],
        occurred_at=data["occurred_at"],
        contact=data["contact_id"],
        company=data["company_id"],
        record_model=data["record_model"],
        record_id=data["record_id"],
        subject=data["subject"],
        body=data["body"],
        direction=data["direction"],
        channel=data["channel"],
        duration_seconds=data["duration_seconds"],
        outcome=data["outcome"],
        participant_users=data["participant_user_ids"],
        participant_contacts=data["participant_contact_ids"],
    )
    return Status(201, selectors.interaction_get(user=request.auth, interaction_id=interaction.pk))


# --- timeline -----------------------------------------------------------------------------------


class TimelineItemOut(Schema):
    kind: str
    at: datetime
    key: int
    title: str
    summary: str
    url: str | None
    actor: str | None
    icon: str


class TimelineOut(Schema):
    items: list[TimelineItemOut]
    next_cursor: str | None


class TimelineParams(Schema):
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)
    kind: list[str] = Field([], description="Only these kinds (interaction, change, order…)")


@router.get(
    "/contacts/{int:contact_id}/timeline", response={200: TimelineOut, **ERRORS}, tags=["timeline"]
)
def contact_timeline(request: ApiRequest, contact_id: int, params: Query[TimelineParams]) -> Any:
    """The contact's merged timeline, newest first; follow `next_cursor` with `?cursor=`."""
    _contact, page = selectors.contact_timeline(
        user=request.auth, contact_id=contact_id, cursor=params.cursor,
        kinds=params.kind or None, limit=params.limit,
    )  # fmt: skip
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/companies/{int:company_id}/timeline", response={200: TimelineOut, **ERRORS}, tags=["timeline"]
)
def company_timeline(request: ApiRequest, company_id: int, params: Query[TimelineParams]) -> Any:
    _company, page = selectors.company_timeline(
        user=request.auth, company_id=company_id, cursor=params.cursor,
        kinds=params.kind or None, limit=params.limit,
    )  # fmt: skip
    return {"items": page.items, "next_cursor": page.next_cursor}


# --- tasks --------------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    title: str
    description: str
    due_at: datetime | None
    remind_at: datetime | None
    priority: int
    status: str
    completed_at: datetime | None
    assignee: Ref
    contact_id: int | None
    company_id: int | None
    record_model: str
    record_id: int | None
    version: int

    @staticmethod
    def resolve_assignee(task: Task) -> dict[str, Any]:
        return user_ref(task.owner)


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None
    prev_cursor: str | None


class TaskListParams(PageParams):
    mine: bool = True
    status: str = "open"
    contact_id: int | None = None
    overdue: bool = False


class TaskIn(Schema):
    title: str
    description: str = ""
    due_at: datetime | None = None
    remind_at: datetime | None = None
    priority: int = Field(2, description="1 low, 2 normal, 3 high, 4 urgent")
    assignee_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    record_model: str = ""
    record_id: int | None = None


class TaskPatch(Schema):
    title: str = NOT_SENT
    description: str = NOT_SENT
    due_at: datetime | None = NOT_SENT
    remind_at: datetime | None = NOT_SENT
    priority: int = NOT_SENT
    status: str = NOT_SENT
    assignee_id: int = NOT_SENT


@router.get("/tasks", response={200: TaskPage, **ERRORS}, tags=["tasks"])
def tasks_list(request: ApiRequest, params: Query[TaskListParams]) -> Any:
    """Tasks with a due time, earliest first (mine by default; mine=false: all I may see)."""
    filters = selectors.TaskFilters(
        mine=params.mine, status=params.status, contact_id=params.contact_id,
        overdue=params.overdue,
    )  # fmt: skip
    return _page(
        selectors.tasks_list(
            user=request.auth, filters=filters, cursor=params.cursor, limit=params.limit
        )
    )


class MyDayOut(Schema):
    overdue: list[TaskOut]
    today: list[TaskOut]
    undated: list[TaskOut]
    meetings: list[InteractionOut]


@router.get("/tasks/my-day", response={200: MyDayOut, **ERRORS}, tags=["tasks"])
def tasks_my_day(request: ApiRequest) -> Any:
    """The caller's day: overdue and due-today open tasks, open tasks without a due time, and
    today's meetings (logged by the caller or with the caller taking part)."""
    return selectors.my_day(user=request.auth)


@router.get("/tasks/{int:task_id}", response={200: TaskOut, **ERRORS}, tags=["tasks"])
def task_detail(request: ApiRequest, task_id: int) -> Any:
    return selectors.task_get(user=request.auth, task_id=task_id)


@router.post("/tasks", response={201: TaskOut, **ERRORS}, tags=["tasks"])
def task_create(request: ApiRequest, payload: TaskIn) -> Any:
    data = payload.model_dump()
    task = services.task_create(
        by=request.auth,
        title=data["title"],
        description=data["description"],
        due_at=data["due_at"],
        remind_at=data["remind_at"],
        priority=data["priority"],
        assignee_id=data["assignee_id"],
        contact=data["contact_id"],
        company=data["company_id"],
        record_model=data["record_model"],
        record_id=data["record_id"],
    )
    return Status(201, selectors.task_get(user=request.auth, task_id=task.pk))


@router.patch("/tasks/{int:task_id}", response={200: TaskOut, **ERRORS}, tags=["tasks"])
def task_update(request: ApiRequest, task_id: int, payload: TaskPatch) -> Any:
    services.task_update(by=request.auth, task_id=task_id, **payload.model_dump(exclude_unset=True))
    return selectors.task_get(user=request.auth, task_id=task_id)


@router.delete("/tasks/{int:task_id}", response={204: None, **ERRORS}, tags=["tasks"])
def task_delete(request: ApiRequest, task_id: int) -> Any:
    services.task_delete(by=request.auth, task_id=task_id)
    return Status(204, None)


# --- comments -----------------------------------------------------------------------------------


class CommentOut(Schema):
    id: int
    body: str
    author: Ref
    created_at: datetime

    @staticmethod
    def resolve_author(comment: Any) -> dict[str, Any]:
        return user_ref(comment.author)


class CommentIn(Schema):
    body: str


@router.get(
    "/contacts/{int:contact_id}/comments", response={200: list[CommentOut], **ERRORS},
    tags=["comments"],
)  # fmt: skip
def contact_comments(request: ApiRequest, contact_id: int) -> Any:
    """The contact's comments, oldest first (the newest 100)."""
    contact = customer_selectors.contact_get(user=request.auth, contact_id=contact_id)
    return selectors.comments_for(record_model="customers.contact", record_id=contact.pk)


@router.post(
    "/contacts/{int:contact_id}/comments", response={201: CommentOut, **ERRORS}, tags=["comments"]
)
def contact_comment_create(request: ApiRequest, contact_id: int, payload: CommentIn) -> Any:
    """Comment on a contact; @username mentions notify those users, followers are told."""
    contact = customer_selectors.contact_get(user=request.auth, contact_id=contact_id)
    comment = services.comment_create(
        by=request.auth, record_model="customers.contact", record_id=contact.pk,
        body=payload.body, url=f"/contacts/{contact.pk}/",
    )  # fmt: skip
    return Status(201, comment)


@router.get(
    "/records/{record_model}/{int:record_id}/comments", response={200: list[CommentOut], **ERRORS},
    tags=["comments"],
)  # fmt: skip
def record_comments(request: ApiRequest, record_model: str, record_id: int) -> Any:
    """The comments on any record the caller may see (a ticket, a deal…), oldest first."""
    activity = selectors.record_activity(
        user=request.auth, record_model=record_model, record_id=record_id, limit=1
    )
    return activity.comments


@router.post(
    "/records/{record_model}/{int:record_id}/comments", response={201: CommentOut, **ERRORS},
    tags=["comments"],
)  # fmt: skip
def record_comment_create(
    request: ApiRequest, record_model: str, record_id: int, payload: CommentIn
) -> Any:
    """Comment on any record the caller may see; @username mentions notify those users."""
    comment = services.comment_create(
        by=request.auth, record_model=record_model, record_id=record_id, body=payload.body
    )
    return Status(201, comment)


class FollowIn(Schema):
    following: bool


class FollowOut(Schema):
    following: bool


@router.post(
    "/records/{record_model}/{int:record_id}/follow", response={200: FollowOut, **ERRORS},
    tags=["comments"],
)  # fmt: skip
def record_follow(request: ApiRequest, record_model: str, record_id: int, payload: FollowIn) -> Any:
    """Follow (or stop following) a record: followers are told of its new comments."""
    following = services.follow_set(
        by=request.auth, record_model=record_model, record_id=record_id,
        following=payload.following,
    )  # fmt: skip
    return {"following": following}


# --- notifications ------------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str
    actor: Ref | None
    record_model: str
    record_id: int | None
    read_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_actor(notification: Any) -> dict[str, Any] | None:
        return user_ref(notification.actor) if notification.actor else None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    prev_cursor: str | None
    unread: int


class NotificationParams(PageParams):
    unread_only: bool = False


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="Omit to mark every notification read")


class MarkReadOut(Schema):
    updated: int


@router.get("/notifications", response={200: NotificationPage, **ERRORS}, tags=["notifications"])
def notifications_list(request: ApiRequest, params: Query[NotificationParams]) -> Any:
    """The caller's notifications, newest first, with the unread count (capped at 100)."""
    page = selectors.notifications_list(
        user=request.auth, unread_only=params.unread_only, cursor=params.cursor,
        limit=params.limit,
    )  # fmt: skip
    return {**_page(page), "unread": selectors.notifications_unread_count(user=request.auth)}


@router.post("/notifications/read", response={200: MarkReadOut, **ERRORS}, tags=["notifications"])
def notifications_read(request: ApiRequest, payload: MarkReadIn) -> Any:
    return {
        "updated": services.notifications_mark_read(by=request.auth, notification_ids=payload.ids)
    }


# --- mailboxes and unfiled mail (administrators) -----------------------------------------------


class MailboxOut(Schema):
    id: int
    name: str
    host: str
    port: int
    use_ssl: bool
    username: str
    password_env: str = Field(description="The environment variable that holds the password")
    folder: str
    purpose: str
    create_leads_for_unknown: bool
    owner: Ref
    is_active: bool
    last_polled_at: datetime | None
    last_error: str

    @staticmethod
    def resolve_owner(mailbox: Any) -> dict[str, Any]:
        return user_ref(mailbox.owner)


class MailboxIn(Schema):
    name: str
    host: str
    port: int = 993
    use_ssl: bool = True
    username: str
    password_env: str = ""
    folder: str = "INBOX"
    purpose: str = "timeline"
    create_leads_for_unknown: bool = False
    owner_id: int | None = None
    is_active: bool = True


class MailboxPatch(Schema):
    name: str = NOT_SENT
    host: str = NOT_SENT
    port: int = NOT_SENT
    use_ssl: bool = NOT_SENT
    username: str = NOT_SENT
    password_env: str = NOT_SENT
    folder: str = NOT_SENT
    purpose: str = NOT_SENT
    create_leads_for_unknown: bool = NOT_SENT
    owner_id: int = NOT_SENT
    is_active: bool = NOT_SENT


@router.get("/mailboxes", response={200: list[MailboxOut], **ERRORS}, tags=["mail"])
def mailboxes_list(request: ApiRequest) -> Any:
    """The IMAP mailboxes Kith polls (administrators; an empty list for anyone else)."""
    return selectors.mailboxes_list(user=request.auth)


@router.post("/mailboxes", response={201: MailboxOut, **ERRORS}, tags=["mail"])
def mailbox_create(request: ApiRequest, payload: MailboxIn) -> Any:
    fields = payload.dict()
    if fields["owner_id"] is None:
        del fields["owner_id"]
    return Status(201, services.mailbox_create(by=request.auth, **fields))


@router.patch("/mailboxes/{int:mailbox_id}", response={200: MailboxOut, **ERRORS}, tags=["mail"])
def mailbox_update(request: ApiRequest, mailbox_id: int, payload: MailboxPatch) -> Any:
    selectors.mailbox_get(user=request.auth, mailbox_id=mailbox_id)  # 404 outside the admins
    changes = payload.dict(exclude_unset=True)
    return services.mailbox_update(by=request.auth, mailbox_id=mailbox_id, **changes)


class UnfiledOut(Schema):
    id: int
    mailbox: str
    message_id: str
    from_address: str
    subject: str
    received_at: datetime
    status: str
    reason: str
    filed_as: str

    @staticmethod
    def resolve_mailbox(message: Any) -> str:
        return message.mailbox.name


class UnfiledPage(Schema):
    items: list[UnfiledOut]
    next_cursor: str | None
    prev_cursor: str | None


@router.get("/mail/unfiled", response={200: UnfiledPage, **ERRORS}, tags=["mail"])
def mail_unfiled(request: ApiRequest, params: Query[PageParams]) -> Any:
    """Messages that could not be filed, newest first, with the reason (administrators)."""
    return _page(
        selectors.unfiled_messages(user=request.auth, cursor=params.cursor, limit=params.limit)
    )


@router.post(
    "/mail/unfiled/{int:message_id}/refile", response={200: UnfiledOut, **ERRORS}, tags=["mail"]
)
def mail_refile(request: ApiRequest, message_id: int) -> Any:
    """Try an unfiled message again: `status` says whether it is filed now, `reason` why not."""
    from kith.engagement.mail import message_refile

    return message_refile(by=request.auth, message_id=message_id)
