"""Forms of engagement: log an interaction, send an email, tasks, comments, preferences."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.engagement.models import Interaction, Mailbox, Task
from kith.identity.models import User
from kith.web.forms.base import ServiceForm

_LOCAL = {"type": "datetime-local"}


class InteractionForm(ServiceForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Interaction.Kind.choices, initial="call")
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Interaction.Direction.choices, required=False
    )
    channel = forms.CharField(
        label=_("Channel"), max_length=32, required=False, help_text=_("phone, zalo, wechat…")
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), required=False, widget=forms.DateTimeInput(attrs=_LOCAL)
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, max_value=10080, required=False
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Interaction.Outcome.choices, required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    body = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    participant_user_ids = forms.TypedMultipleChoiceField(
        label=_("Colleagues who took part"), coerce=int, required=False, choices=()
    )
    participant_emails = forms.CharField(
        label=_("Contacts who took part"),
        required=False,
        help_text=_("Their email addresses, separated by commas."),
    )
    service_field_names = {
        "duration_seconds": "duration_minutes",
        "participant_users": "participant_user_ids",
        "participant_contacts": "participant_emails",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["participant_user_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [
            (u.pk, str(u)) for u in User.objects.filter(is_active=True).order_by("username")
        ]
        field.widget.attrs["size"] = 4

    def clean_participant_emails(self) -> list[str]:
        raw = self.cleaned_data.get("participant_emails") or ""
        emails = [e.strip().lower() for e in raw.replace(";", ",").split(",") if e.strip()]
        if len(emails) > 50:
            raise forms.ValidationError(_("At most 50 addresses."))
        return emails

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        minutes = data.get("duration_minutes")
        return {
            "kind": data["kind"],
            "direction": data.get("direction") or "",
            "channel": data.get("channel") or "",
            "occurred_at": data.get("occurred_at"),
            "duration_seconds": minutes * 60 if minutes is not None else None,
            "outcome": data.get("outcome") or "",
            "subject": data.get("subject") or "",
            "body": data.get("body") or "",
            "participant_users": data.get("participant_user_ids") or [],
        }


class EmailForm(ServiceForm):
    to_address = forms.EmailField(label=_("To"))
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}))


class TaskForm(ServiceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_at = forms.DateTimeField(
        label=_("Due"), required=False, widget=forms.DateTimeInput(attrs=_LOCAL)
    )
    remind_at = forms.DateTimeField(
        label=_("Remind me at"), required=False, widget=forms.DateTimeInput(attrs=_LOCAL)
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, coerce=int, initial=2
    )
    assignee_id = forms.TypedChoiceField(label=_("Assignee"), coerce=int, choices=())
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = User.objects.filter(is_active=True).order_by("username")
        field = self.fields["assignee_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(u.pk, str(u)) for u in users]


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Task.Status.choices)


class CommentForm(ServiceForm):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Mention a colleague with @username."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown beside the interaction form, whose text field is also "body": distinct ids.
        kwargs.setdefault("auto_id", "comment-%s")
        super().__init__(*args, **kwargs)


class PreferenceForm(forms.Form):
    email_reminders = forms.BooleanField(label=_("Email me my task reminders"), required=False)


class MailboxForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Mailbox.Purpose.choices)
    host = forms.CharField(label=_("IMAP host"), max_length=253)
    port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    use_ssl = forms.BooleanField(label=_("Use SSL"), required=False, initial=True)
    username = forms.CharField(label=_("User name"), max_length=254)
    password_env = forms.CharField(
        label=_("Password environment variable"),
        max_length=100,
        help_text=_(
            "The name of the environment variable holding the password, e.g. KITH_MAIL_SALES."
        ),
    )
    folder = forms.CharField(label=_("Folder"), max_length=200, initial="INBOX")
    owner_id = forms.TypedChoiceField(
        label=_("Files as"), coerce=int, choices=(),
        help_text=_("Interactions and leads made from this mailbox belong to this user."),
    )  # fmt: skip
    create_leads_for_unknown = forms.BooleanField(
        label=_("Create leads for unknown senders"), required=False
    )
    is_active = forms.BooleanField(label=_("Poll this mailbox"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (u.pk, str(u)) for u in User.objects.filter(is_active=True).order_by("username")
        ]
