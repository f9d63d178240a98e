"""Reads of engagement, always through the permission gate `visible_to`, one module per
concept: the contact and company timelines (timelines), interactions, tasks and the calendar
feed (tasks), records with their comments and follows (records), notifications, and mailboxes
with unfiled mail (mailboxes)."""

from kith.engagement.selectors.interactions import (
    InteractionFilters,
    contacts_with_emails,
    interaction_get,
    interactions_last_at,
    interactions_list,
)
from kith.engagement.selectors.mailboxes import mailbox_get, mailboxes_list, unfiled_messages
from kith.engagement.selectors.notifications import notifications_list, notifications_unread_count
from kith.engagement.selectors.records import (
    RecordActivity,
    comments_for,
    company_ref,
    contact_ref,
    is_following,
    record_activity,
)
from kith.engagement.selectors.tasks import (
    MyDay,
    TaskFilters,
    calendar_entries,
    calendar_owner,
    contact_tasks,
    my_day,
    task_get,
    tasks_list,
)
from kith.engagement.selectors.timelines import (
    COMPANY_KINDS,
    ICONS,
    INTERACTION_KIND_PREFIX,
    changes_for_timeline,
    comments_for_timeline,
    company_timeline,
    contact_timeline,
    duration_words,
    interaction_kinds,
    interactions_for_timeline,
    timeline_kinds,
)

__all__ = [
    "COMPANY_KINDS",
    "ICONS",
    "INTERACTION_KIND_PREFIX",
    "InteractionFilters",
    "MyDay",
    "RecordActivity",
    "TaskFilters",
    "calendar_entries",
    "calendar_owner",
    "changes_for_timeline",
    "comments_for",
    "comments_for_timeline",
    "company_ref",
    "company_timeline",
    "contact_ref",
    "contact_tasks",
    "contact_timeline",
    "contacts_with_emails",
    "duration_words",
    "interaction_get",
    "interaction_kinds",
    "interactions_for_timeline",
    "interactions_last_at",
    "interactions_list",
    "is_following",
    "mailbox_get",
    "mailboxes_list",
    "my_day",
    "notifications_list",
    "notifications_unread_count",
    "record_activity",
    "task_get",
    "tasks_list",
    "timeline_kinds",
    "unfiled_messages",
]
