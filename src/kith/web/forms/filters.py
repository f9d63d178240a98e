"""List filters read from GET parameters; bad values are ignored rather than shown as errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.core.models import CustomField
from kith.customers.models import Contact
from kith.customers.selectors import contact_filters_extra
from kith.web.forms import custom_fields


class RecordFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, empty_value=None, required=False)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, empty_value=None, required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=64)

    def __init__(
        self,
        *args: Any,
        owners: Iterable[Any],
        teams: Iterable[Any],
        custom_fields_list: Sequence[CustomField],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Anyone")), *((u.pk, str(u)) for u in owners)]
        self.fields["team"].choices = [("", _("Any team")), *((t.pk, t.name) for t in teams)]
        self.custom_names = custom_fields.add_fields(self, custom_fields_list, for_filter=True)

    def clean_values(self) -> dict[str, Any]:
        """The valid filter values (invalid ones dropped, so a stale link still works)."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def custom_values(self) -> dict[str, str]:
        values = self.clean_values()
        return {
            name[len(custom_fields.PREFIX) :]: custom_fields.as_text(values.get(name))
            for name in self.custom_names
            if custom_fields.as_text(values.get(name))
        }

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.custom_names]

    @property
    def is_filtered(self) -> bool:
        values = self.clean_values()
        return any(values.get(name) not in (None, "") for name in self.fields)


class ContactFilterForm(RecordFilterForm):
    # Set by links from a company page; not shown as a control.
    company = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("Any stage")), *Contact.Stage.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Filters other domains add (insights: CLV, churn risk, segment).
        self.extra_names: list[str] = []
        for extra in contact_filters_extra():
            if extra.kind == "choice" and extra.choices is not None:
                self.fields[extra.name] = forms.ChoiceField(
                    label=extra.label,
                    choices=[("", _("Any")), *extra.choices()],
                    required=False,
                )
            else:
                self.fields[extra.name] = forms.FloatField(label=extra.label, required=False)
            self.extra_names.append(extra.name)

    def extra_values(self) -> dict[str, str]:
        values = self.clean_values()
        return {
            name: str(values[name])
            for name in self.extra_names
            if values.get(name) not in (None, "")
        }

    @property
    def extra_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.extra_names]


class CompanyFilterForm(RecordFilterForm):
    industry = forms.CharField(label=_("Industry"), required=False, max_length=80)
