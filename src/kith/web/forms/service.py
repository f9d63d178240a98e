"""Forms of the service pages; they parse input for kith.service.services and show its errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.service.models import Priority, Ticket
from kith.web.forms.base import ServiceForm


class TicketForm(ServiceForm):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    contact_id = forms.IntegerField(label=_("Contact"), required=False, widget=forms.Select)
    company_id = forms.IntegerField(label=_("Company"), required=False, widget=forms.Select)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    category = forms.CharField(label=_("Category"), max_length=80, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Ticket.Channel.choices)
    owner_id = forms.TypedChoiceField(label=_("Assignee"), coerce=int, choices=())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # Rendered by the record pickers, not by the generic field loop.
    PICKERS = ("contact_id", "company_id")

    def __init__(
        self,
        *args: Any,
        owners: Any,
        editing: bool = False,
        contact: Any = None,
        company: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = [(u.pk, str(u)) for u in owners]  # type: ignore[attr-defined]
        for name, record in (("contact_id", contact), ("company_id", company)):
            chosen: list[tuple[Any, str]] = [("", "—")]
            if record is not None:
                chosen.append((record.pk, str(record)))
            self.fields[name].widget.choices = chosen  # type: ignore[attr-defined]
        if editing:
            del self.fields["channel"]

    def plain_fields(self) -> list[Any]:
        """The visible fields the generic loop renders (all but the pickers)."""
        return [f for f in self.visible_fields() if f.name not in self.PICKERS]

    def service_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 4}))


class PublicSupportForm(forms.Form):
    """The public support form as a visitor sees it; validation is the service's."""

    full_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    description = forms.CharField(
        label=_("How can we help?"), widget=forms.Textarea, required=False
    )
    # The honeypot: hidden from people by CSS, filled in by bots.
    website_url = forms.CharField(required=False, label=_("Leave this empty"))
