"""The company form; maps to the keyword arguments of company_create/update."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.core.models import CustomField
from kith.customers.models import Company
from kith.web.forms import custom_fields
from kith.web.forms.base import ServiceForm, TagsField, tags_parse, tags_text


class CompanyForm(ServiceForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    domain = forms.CharField(
        label=_("Web domain"),
        max_length=253,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "example.com"}),
    )
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False)
    size = forms.ChoiceField(
        label=_("Employees"), choices=[("", "—"), *Company.Size.choices], required=False
    )
    parent = forms.IntegerField(label=_("Parent company"), required=False, widget=forms.Select)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, empty_value=None, required=False)
    tags = TagsField()

    service_field_names = {"parent_id": "parent", "owner_id": "owner"}

    def __init__(
        self,
        *args: Any,
        owners: Iterable[Any],
        custom_fields_list: Sequence[CustomField],
        parent: Any = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        parent_choices: list[tuple[Any, str]] = [("", "—")]
        if parent is not None:
            parent_choices.append((parent.pk, parent.name))
        self.fields["parent"].widget.choices = parent_choices
        self.fields["owner"].choices = [(u.pk, str(u)) for u in owners]
        self.custom_names = custom_fields.add_fields(self, custom_fields_list)

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.custom_names]

    def service_kwargs(self, *, only_changed: bool) -> dict[str, Any]:
        """Keyword arguments for company_create (everything) or company_update (what changed)."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "name": data["name"].strip(),
            "domain": data["domain"].strip(),
            "industry": data["industry"].strip(),
            "size": data["size"],
            "parent_id": data["parent"],
            "tags": tags_parse(data["tags"]),
            "custom": custom_fields.values_of(self, self.custom_names),
        }
        if data["owner"] is not None:
            kwargs["owner_id"] = data["owner"]
        if not only_changed:
            kwargs["custom"] = {k: v for k, v in kwargs["custom"].items() if v != ""}
            return kwargs
        wanted = set()
        for name in self.changed_data:
            if name.startswith(custom_fields.PREFIX):
                wanted.add("custom")
            else:
                wanted.add({"parent": "parent_id", "owner": "owner_id"}.get(name, name))
        return {key: value for key, value in kwargs.items() if key in wanted}


def company_initial(company: Company, custom_fields_list: Sequence[CustomField]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "version": company.version,
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "size": company.size,
        "parent": company.parent_id,
        "owner": company.owner_id,
        "tags": tags_text(tag.name for tag in company.tag_list),
    }
    for custom_field in custom_fields_list:
        value = (company.custom or {}).get(custom_field.key)
        if value is not None:
            initial[custom_fields.field_name(custom_field)] = value
    return initial
