"""The contact form: names and job, company and owner, emails/phones/social handles and addresses
as rows, tags and custom fields. It maps to the keyword arguments of contact_create/update."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from kith.core.models import CustomField
from kith.customers.models import Address, Contact
from kith.web.forms import custom_fields
from kith.web.forms.base import ServiceForm, TagsField, tags_parse, tags_text

MAX_ROWS = 20
ADDRESS_PARTS = ("line1", "line2", "city", "region", "postal_code", "country")


@dataclass(frozen=True)
class PointKind:
    group: str  # service argument and form prefix: "emails"
    kind: str  # ContactPoint.kind: "email"
    title: Any
    row_title: Any  # label of one row: "Email 1"
    input_type: str
    label_suggestions: tuple[str, ...]


POINT_KINDS = (
    PointKind("emails", "email", _("Emails"), _("Email"), "email", ("work", "personal")),
    PointKind("phones", "phone", _("Phones"), _("Phone"), "tel", ("mobile", "work", "home")),
    PointKind(
        "socials",
        "social",
        _("Social handles"),
        _("Social handle"),
        "text",
        ("wechat", "zalo", "whatsapp", "linkedin", "facebook", "line"),
    ),
)


def _posted_rows(data: Any, prefix: str, part: str) -> int:
    """How many rows of `prefix` the browser posted (the page can add rows)."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)-{part}$")
    indexes = [int(m.group(1)) for key in data for m in [pattern.match(key)] if m]
    return min(max(indexes) + 1, MAX_ROWS) if indexes else 0


@dataclass
class PointRow:
    index: int
    value: forms.BoundField
    label: forms.BoundField
    primary: bool


@dataclass
class PointGroup:
    kind: PointKind
    rows: list[PointRow]
    primary_name: str


@dataclass
class AddressRow:
    index: int
    kind: forms.BoundField
    parts: list[forms.BoundField]


def phone_region_choices() -> list[tuple[str, str]]:
    """ "" (the address country, else the user's / team's region) and every region with its
    calling code, the ones Kith's users call most first."""
    first = ("VN", "CN", "US")
    rest = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if r not in first)
    return [("", str(_("The address country, else my region")))] + [
        (r, f"{r} (+{phonenumbers.country_code_for_region(r)})") for r in (*first, *rest)
    ]


class ContactForm(ServiceForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        required=False,
        help_text=_("As the person writes it, e.g. 王伟明 or Nguyễn Văn An."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    company = forms.IntegerField(label=_("Company"), required=False, widget=forms.Select)
    lifecycle_stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=Contact.Stage.choices)
    source_channel = forms.ChoiceField(
        label=_("Source channel"), choices=Contact.Channel.choices, initial="other"
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, empty_value=None, required=False)
    tags = TagsField()
    # The country local phone numbers are read in (the service's phone_region); the contact's
    # address country, the user's and the team's region come after it.
    phone_region = forms.ChoiceField(
        label=_("Phone numbers without +country code are from"), required=False, choices=()
    )

    service_field_names = {"company_id": "company", "owner_id": "owner"}

    def __init__(
        self,
        *args: Any,
        owners: Iterable[Any],
        custom_fields_list: Sequence[CustomField],
        company: Any = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        company_choices: list[tuple[Any, str]] = [("", "—")]
        if company is not None:
            company_choices.append((company.pk, company.name))
        self.fields["company"].widget.choices = company_choices
        self.fields["owner"].choices = [(u.pk, str(u)) for u in owners]
        self.fields["phone_region"].choices = phone_region_choices()  # type: ignore[attr-defined]
        self.custom_names = custom_fields.add_fields(self, custom_fields_list)
        self._point_rows: dict[str, int] = {}
        for point in POINT_KINDS:
            self._add_point_fields(point)
        self._add_address_fields()
        # (group, index in the list sent to the service) -> row on the form
        self._row_of: dict[tuple[str, int], int] = {}

    # -- building --------------------------------------------------------------------------

    def _row_count(self, prefix: str, part: str) -> int:
        initial_rows = _posted_rows(self.initial, prefix, part)
        if self.is_bound:
            return max(_posted_rows(self.data, prefix, part), 1)
        return min(initial_rows + 1, MAX_ROWS)

    def _add_point_fields(self, point: PointKind) -> None:
        count = self._row_count(point.group, "value")
        self._point_rows[point.group] = count
        for i in range(count):
            attrs = {"autocomplete": "off"}
            self.fields[f"{point.group}-{i}-value"] = forms.CharField(
                label=point.row_title,
                max_length=254,
                required=False,
                widget=forms.TextInput(attrs={**attrs, "type": point.input_type}),
            )
            self.fields[f"{point.group}-{i}-label"] = forms.CharField(
                label=_("Label"),
                max_length=32,
                required=False,
                widget=forms.TextInput(attrs={**attrs, "list": f"{point.group}-labels"}),
            )
        self.fields[f"{point.group}-primary"] = forms.CharField(
            required=False, widget=forms.HiddenInput
        )

    def _add_address_fields(self) -> None:
        count = self._row_count("addresses", "line1")
        self._address_rows = count
        labels = {
            "line1": _("Address line 1"),
            "line2": _("Address line 2"),
            "city": _("City"),
            "region": _("Region"),
            "postal_code": _("Postal code"),
            "country": _("Country code"),
        }
        for i in range(count):
            self.fields[f"addresses-{i}-kind"] = forms.ChoiceField(
                label=_("Kind"), choices=Address.Kind.choices, initial="work", required=False
            )
            for part in ADDRESS_PARTS:
                max_length = {"postal_code": 20, "country": 2, "city": 100, "region": 100}
                attrs = {"placeholder": "VN"} if part == "country" else {}
                self.fields[f"addresses-{i}-{part}"] = forms.CharField(
                    label=labels[part],
                    max_length=max_length.get(part, 200),
                    required=False,
                    widget=forms.TextInput(attrs=attrs),
                )

    # -- for the template ------------------------------------------------------------------

    def _primary_index(self, group: str) -> str:
        name = f"{group}-primary"
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        return str(value if value not in (None, "") else 0)

    @property
    def point_groups(self) -> list[PointGroup]:
        groups = []
        for point in POINT_KINDS:
            primary = self._primary_index(point.group)
            rows = [
                PointRow(
                    index=i,
                    value=self[f"{point.group}-{i}-value"],
                    label=self[f"{point.group}-{i}-label"],
                    primary=str(i) == primary,
                )
                for i in range(self._point_rows[point.group])
            ]
            groups.append(PointGroup(kind=point, rows=rows, primary_name=f"{point.group}-primary"))
        return groups

    @property
    def address_rows(self) -> list[AddressRow]:
        return [
            AddressRow(
                index=i,
                kind=self[f"addresses-{i}-kind"],
                parts=[self[f"addresses-{i}-{part}"] for part in ADDRESS_PARTS],
            )
            for i in range(self._address_rows)
        ]

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.custom_names]

    # -- to the service --------------------------------------------------------------------

    def _points(self, point: PointKind) -> list[dict[str, Any]]:
        primary = self._primary_index(point.group)
        items = []
        for i in range(self._point_rows[point.group]):
            value = (self.cleaned_data.get(f"{point.group}-{i}-value") or "").strip()
            if not value:
                continue
            self._row_of[(point.group, len(items))] = i
            items.append(
                {
                    "value": value,
                    "label": (self.cleaned_data.get(f"{point.group}-{i}-label") or "").strip(),
                    "is_primary": str(i) == primary,
                }
            )
        if items and not any(item["is_primary"] for item in items):
            items[0]["is_primary"] = True
        return items

    def _addresses(self) -> list[dict[str, str]]:
        items = []
        for i in range(self._address_rows):
            parts = {
                p: (self.cleaned_data.get(f"addresses-{i}-{p}") or "").strip()
                for p in ADDRESS_PARTS
            }
            if not any(parts.values()):
                continue
            self._row_of[("addresses", len(items))] = i
            parts["country"] = parts["country"].upper()
            items.append({"kind": self.cleaned_data.get(f"addresses-{i}-kind") or "work", **parts})
        return items

    def _changed_groups(self) -> set[str]:
        groups = set()
        for name in self.changed_data:
            groups.add(name.split("-", 1)[0] if "-" in name else name)
        return groups

    def service_kwargs(self, *, only_changed: bool) -> dict[str, Any]:
        """Keyword arguments for contact_create (everything) or contact_update (what changed)."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "full_name": data["full_name"].strip(),
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "title": data["title"].strip(),
            "company_id": data["company"],
            "lifecycle_stage": data["lifecycle_stage"],
            "source_channel": data["source_channel"],
            "tags": tags_parse(data["tags"]),
            "addresses": self._addresses(),
            "custom": custom_fields.values_of(self, self.custom_names),
        }
        for point in POINT_KINDS:
            kwargs[point.group] = self._points(point)
        kwargs["phone_region"] = data.get("phone_region") or ""
        if data["owner"] is not None:
            kwargs["owner_id"] = data["owner"]
        if not only_changed:
            kwargs["custom"] = {k: v for k, v in kwargs["custom"].items() if v != ""}
            return kwargs
        changed = self._changed_groups()
        by_group = {"company": "company_id", "owner": "owner_id", "custom": "custom"}
        wanted = {by_group.get(group, group) for group in changed}
        if "phones" in wanted:
            wanted.add("phone_region")
        return {key: value for key, value in kwargs.items() if key in wanted}

    def form_field_for(self, key: str) -> str | None:
        # "emails.2" is the third item sent to the service; blank rows were skipped.
        parts = key.split(".")
        if parts[0] in {"emails", "phones", "socials", "addresses"} and len(parts) >= 2:
            group = parts[0]
            if not parts[1].isdigit():
                return None
            row = self._row_of.get((group, int(parts[1])), int(parts[1]))
            if group == "addresses":
                part = parts[2] if len(parts) > 2 and parts[2] in ADDRESS_PARTS else "line1"
                name = f"addresses-{row}-{part}"
            else:
                part = "label" if len(parts) > 2 and parts[2] == "label" else "value"
                name = f"{group}-{row}-{part}"
            return name if name in self.fields else None
        if key in POINT_KINDS_BY_GROUP:
            name = f"{key}-0-value"
            return name if name in self.fields else None
        return super().form_field_for(key)


POINT_KINDS_BY_GROUP = {point.group: point for point in POINT_KINDS}


def contact_initial(contact: Contact, custom_fields_list: Sequence[CustomField]) -> dict[str, Any]:
    """The form's initial data for editing `contact` (points/addresses/tags already loaded)."""
    initial: dict[str, Any] = {
        "version": contact.version,
        "full_name": contact.full_name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "company": contact.company_id,
        "lifecycle_stage": contact.lifecycle_stage,
        "source_channel": contact.source_channel,
        "owner": contact.owner_id,
        "tags": tags_text(tag.name for tag in contact.tag_list),
    }
    counters = {point.kind: 0 for point in POINT_KINDS}
    groups = {point.kind: point.group for point in POINT_KINDS}
    for point in contact.point_list:
        if point.kind not in groups:
            continue
        i = counters[point.kind]
        counters[point.kind] += 1
        group = groups[point.kind]
        initial[f"{group}-{i}-value"] = point.value
        initial[f"{group}-{i}-label"] = point.label
        if point.is_primary:
            initial[f"{group}-primary"] = str(i)
    for i, address in enumerate(contact.address_list):
        initial[f"addresses-{i}-kind"] = address.kind
        for part in ADDRESS_PARTS:
            initial[f"addresses-{i}-{part}"] = getattr(address, part)
    for custom_field in custom_fields_list:
        value = (contact.custom or {}).get(custom_field.key)
        if value is not None:
            initial[custom_fields.field_name(custom_field)] = value
    return initial
