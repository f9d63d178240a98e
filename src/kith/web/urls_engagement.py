"""Pages of engagement: interactions, timeline, tasks, comments and notifications."""

from django.urls import path

from kith.web.views import engagement as views

urlpatterns = [
    # Timelines (panels of the contact and company pages) and logging interactions
    path("contacts/<int:contact_id>/timeline/", views.contact_timeline, name="contact-timeline"),
    path(
        "contacts/<int:contact_id>/interactions/",
        views.contact_interaction_create,
        name="contact-interaction-create",
    ),
    path(
        "contacts/<int:contact_id>/comments/",
        views.contact_comment_create,
        name="contact-comment-create",
    ),
    path("contacts/<int:contact_id>/follow/", views.contact_follow, name="contact-follow"),
    path("contacts/<int:contact_id>/email/", views.contact_email, name="contact-email"),
    path("contacts/<int:contact_id>/tasks/", views.contact_tasks_panel, name="contact-tasks-panel"),
    path("companies/<int:company_id>/timeline/", views.company_timeline, name="company-timeline"),
    path(
        "companies/<int:company_id>/interactions/",
        views.company_interaction_create,
        name="company-interaction-create",
    ),
    # Any record (tickets, deals, leads…): interactions about it, comments, follows
    path(
        "records/<str:record_model>/<int:record_id>/activity/",
        views.record_activity,
        name="record-activity",
    ),
    path(
        "records/<str:record_model>/<int:record_id>/interactions/",
        views.record_interaction_create,
        name="record-interaction-create",
    ),
    path(
        "records/<str:record_model>/<int:record_id>/comments/",
        views.record_comment_create,
        name="record-comment-create",
    ),
    path(
        "records/<str:record_model>/<int:record_id>/follow/",
        views.record_follow,
        name="record-follow",
    ),
    # Tasks
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/new/", views.task_create, name="task-create"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="task-edit"),
    path("tasks/<int:task_id>/status/", views.task_status, name="task-status"),
    path("tasks/calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    # Notifications and mail
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/bell/", views.notification_bell, name="notification-bell"),
    path("notifications/read/", views.notification_read, name="notification-read"),
    path(
        "notifications/preferences/",
        views.engagement_preferences,
        name="notification-preferences",
    ),
    path("mail/unfiled/", views.mail_unfiled, name="mail-unfiled"),
    path("mail/unfiled/<int:message_id>/refile/", views.mail_refile, name="mail-refile"),
    path("mail/mailboxes/", views.mailbox_list, name="mailbox-list"),
    path("mail/mailboxes/new/", views.mailbox_form, name="mailbox-create"),
    path("mail/mailboxes/<int:mailbox_id>/", views.mailbox_form, name="mailbox-edit"),
]
