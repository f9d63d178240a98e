"""Forms of the sales pages; they parse input for kith.sales.services and show its FieldErrors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.core.translated import languages_other
from kith.sales.models import Channel, Lead, Order, Stage, WebForm
from kith.sales.money import money_parse
from kith.web.forms.base import ServiceForm, translation_fields, translations_from


def _owner_choices(owners: Any) -> list[tuple[Any, str]]:
    return [(u.pk, str(u)) for u in owners]


class MoneyField(forms.CharField):
    """An amount typed in major units ("1,234.50"); cleaned to minor units with the form's
    currency field."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")


def _minor(form: forms.Form, name: str, currency: str) -> int:
    try:
        return money_parse(form.cleaned_data.get(name) or "0", currency or "USD")
    except ValueError:
        form.add_error(name, _("Enter an amount such as 1250 or 1,250.50."))
        return 0


class IdListField(forms.Field):
    """Several record ids posted under one name (the chosen chips of a picker)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        try:
            return list(dict.fromkeys(int(v) for v in value or () if str(v).strip()))
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Choose from the list.")) from None


class VersionedForm(ServiceForm):
    """The edit form of a versioned record: a hidden version, and an error about it (a post
    without it) shown at the top, since the hidden field shows no errors."""

    def form_field_for(self, key: str) -> str | None:
        return None if key == "version" else super().form_field_for(key)


class LeadForm(VersionedForm):
    full_name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    website = forms.CharField(label=_("Website"), max_length=253, required=False)
    source_channel = forms.ChoiceField(label=_("Source channel"), choices=Channel.choices)
    campaign = forms.CharField(label=_("Campaign"), max_length=120, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Lead.Status.choices[:4])
    disqualified_reason = forms.CharField(
        label=_("Disqualified reason"), max_length=200, required=False
    )
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = _owner_choices(owners)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class ConvertForm(ServiceForm):
    create_deal = forms.BooleanField(label=_("Also create a deal"), required=False, initial=True)
    deal_name = forms.CharField(label=_("Deal name"), max_length=200, required=False)
    pipeline_id = forms.TypedChoiceField(label=_("Pipeline"), coerce=int, required=False)
    amount = MoneyField(label=_("Amount"))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    expected_close = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, pipelines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline_id"].choices = [(p.pk, p.name) for p in pipelines]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        currency = (data.get("currency") or "USD").upper()
        data["amount_minor"] = _minor(self, "amount", currency)
        data["currency"] = currency
        data.pop("amount")
        return data


class WebFormForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.SlugField(
        label=_("Address"), max_length=60, help_text=_("The form is served at /f/<address>/.")
    )
    fields = forms.MultipleChoiceField(
        label=_("Fields besides name and email"),
        choices=WebForm.FIELD_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent_text = forms.CharField(
        label=_("Consent checkbox text"),
        max_length=300,
        required=False,
        help_text=_("Leave empty for no consent checkbox."),
    )
    thank_you_text = forms.CharField(label=_("Thank-you text"), max_length=500)
    campaign = forms.CharField(label=_("Campaign"), max_length=120, required=False)
    assignment = forms.ChoiceField(label=_("Assignment"), choices=WebForm.Assignment.choices)
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False)
    team_id = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, owners: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = [("", "—"), *_owner_choices(owners)]
        self.fields["team_id"].choices = [("", "—"), *[(t.pk, t.name) for t in teams]]


class PublicLeadForm(forms.Form):
    """The public web-to-lead form as a visitor sees it; validation is the service's."""

    full_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea, required=False)
    consent = forms.BooleanField(required=False)
    # The honeypot: hidden from people by CSS, filled in by bots.
    website_url = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args: Any, webform: WebForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, _label in WebForm.FIELD_CHOICES:
            if key not in webform.fields:
                del self.fields[key]
        if webform.consent_text:
            self.fields["consent"].label = webform.consent_text
        else:
            del self.fields["consent"]
        self.fields["website_url"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})


class DealForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    pipeline_id = forms.TypedChoiceField(label=_("Pipeline"), coerce=int)
    amount = MoneyField(label=_("Amount"))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    probability = forms.IntegerField(
        label=_("Probability (%)"), min_value=0, max_value=100, required=False
    )
    expected_close = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=200, required=False)
    company_id = forms.IntegerField(label=_("Company"), required=False, widget=forms.Select)
    contact_ids = IdListField(label=_("Contacts"), required=False)
    product_ids = IdListField(label=_("Products"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    service_field_names = {"amount_minor": "amount"}
    # Rendered by the deal form's pickers, not by the generic field loop.
    PICKERS = ("company_id", "contact_ids", "product_ids")

    def __init__(
        self, *args: Any, owners: Any, pipelines: Any, company: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = _owner_choices(owners)
        self.fields["pipeline_id"].choices = [(p.pk, p.name) for p in pipelines]
        company_choices: list[tuple[Any, str]] = [("", "—")]
        if company is not None:
            company_choices.append((company.pk, company.name))
        self.fields["company_id"].widget.choices = company_choices

    def plain_fields(self) -> list[Any]:
        """The visible fields the generic loop renders (all but the pickers)."""
        return [f for f in self.visible_fields() if f.name not in self.PICKERS]

    def service_kwargs(self, *, creating: bool) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        currency = (data.get("currency") or "USD").upper()
        data["currency"] = currency
        data["amount_minor"] = _minor(self, "amount", currency)
        data.pop("amount")
        if creating:
            data.pop("lost_reason")
        else:
            data.pop("pipeline_id")
        return data


class PipelineForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    stages = forms.CharField(
        label=_("Stages"),
        widget=forms.Textarea(attrs={"rows": 7}),
        initial="Qualify, 10\nProposal, 40\nNegotiation, 70\nWon, 100, won\nLost, 0, lost",
        help_text=_("One stage a line: name, win probability %, and “won” or “lost” if it closes."),
    )

    def stage_inputs(self) -> list[Any]:
        from kith.sales.services import StageInput

        stages = []
        for number, line in enumerate(self.cleaned_data["stages"].splitlines(), start=1):
            parts = [p.strip() for p in line.split(",")]
            if not parts or not parts[0]:
                continue
            try:
                probability = int(parts[1]) if len(parts) > 1 and parts[1] else 0
            except ValueError:
                self.add_error(
                    "stages", _("Line %(n)d: the probability must be a number.") % {"n": number}
                )
                return []
            outcome = parts[2].lower() if len(parts) > 2 and parts[2] else Stage.Outcome.OPEN
            stages.append(StageInput(parts[0], probability, outcome))
        return stages


class PipelineEditForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    currency = forms.CharField(label=_("Currency"), max_length=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translation_fields(self, label=_("Name"), limit=120)


class StageRowForm(forms.Form):
    """One stage row of the pipeline editor (id empty for a new stage)."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Stage"), max_length=80)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translation_fields(self, label=_("Stage"), limit=80)

    def translation_boxes(self) -> list[Any]:
        return [self[f"name_{code}"] for code, _language in languages_other()]

    probability = forms.IntegerField(
        label=_("Win probability (%)"), min_value=0, max_value=100, initial=10
    )
    outcome = forms.ChoiceField(
        label=_("Won/lost"), choices=Stage.Outcome.choices, initial=Stage.Outcome.OPEN
    )

    def has_changed(self) -> bool:
        # An empty new row (no name typed) is no stage, whatever its other fields say.
        return bool(self.initial.get("id")) or bool(
            (self.data.get(self.add_prefix("name")) or "").strip()
        )


StageFormSet = forms.formset_factory(StageRowForm, extra=2, can_order=True, can_delete=True)


def stage_inputs_from(formset: Any) -> list[Any]:
    """The kept stages of a valid StageFormSet in their new order (ORDER, then the rows)."""
    from kith.sales.services import StageInput

    rows = [f for f in formset.ordered_forms if f.has_changed() or f.cleaned_data.get("id")]
    return [
        StageInput(
            f.cleaned_data["name"],
            f.cleaned_data["probability"],
            f.cleaned_data["outcome"],
            f.cleaned_data.get("id"),
            translations_from(f),
        )
        for f in rows
    ]


class ProductForm(ServiceForm):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.CharField(label=_("Category"), max_length=80, required=False)
    price = MoneyField(label=_("Price"))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    service_field_names = {"price_minor": "price"}

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        currency = (data.get("currency") or "USD").upper()
        data["currency"] = currency
        data["price_minor"] = _minor(self, "price", currency)
        data.pop("price")
        return data


@dataclass
class OrderLineRow:
    """One line of the order form as typed, with its errors (index = position on the form)."""

    product_id: str = ""
    quantity: str = "1"
    unit_price: str = ""
    errors: list[str] = field(default_factory=list)


class OrderForm(ServiceForm):
    """An order with any number of lines. Lines arrive as parallel lists (line_product,
    line_quantity, line_price: one of each per row; "Add line" appends a row), so the page
    needs no row counter; a row without a product is ignored."""

    contact_id = forms.IntegerField(label=_("Customer"), widget=forms.Select)
    ordered_at = forms.DateTimeField(
        label=_("Date"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Order.Status.choices, initial="paid")
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    number = forms.CharField(label=_("Number"), max_length=40, required=False)
    service_field_names = {"contact_id": "contact_id"}
    PICKERS = ("contact_id",)

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        contact: Any = None,
        editing: bool = False,
        rows: list[OrderLineRow] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, str]] = [("", "—")]
        if contact is not None:
            choices.append((contact.pk, contact.full_name))
        self.fields["contact_id"].widget.choices = choices
        if editing:  # the status moves on the order's page (pay, fulfil, cancel, refund)
            del self.fields["status"]
        self._initial_rows = rows
        self.rows = self._rows()
        self.line_inputs: list[Any] = []

    def plain_fields(self) -> list[Any]:
        return [f for f in self.visible_fields() if f.name not in self.PICKERS]

    def _rows(self) -> list[OrderLineRow]:
        if not self.is_bound:
            return self._initial_rows or [OrderLineRow() for _n in range(3)]
        products = self.data.getlist("line_product")
        quantities = self.data.getlist("line_quantity")
        prices = self.data.getlist("line_price")
        rows = []
        for n, product in enumerate(products):
            rows.append(
                OrderLineRow(
                    product_id=product.strip(),
                    quantity=(quantities[n] if n < len(quantities) else "").strip(),
                    unit_price=(prices[n] if n < len(prices) else "").strip(),
                )
            )
        return rows or [OrderLineRow()]

    def clean(self) -> dict[str, Any]:
        from kith.sales.services import LineInput

        data = super().clean()
        currency = (data.get("currency") or "USD").upper()
        lines = []
        self._kept: list[OrderLineRow] = []
        for row in self.rows:
            if not row.product_id:
                continue
            try:
                product_id, quantity = int(row.product_id), int(row.quantity or "0")
            except ValueError:
                row.errors.append(str(_("Enter a whole number.")))
                continue
            price = None
            if row.unit_price:
                try:
                    price = money_parse(row.unit_price, currency)
                except ValueError:
                    row.errors.append(str(_("Enter an amount such as 1250 or 1,250.50.")))
                    continue
            lines.append(LineInput(product_id, quantity, price))
            self._kept.append(row)
        if any(row.errors for row in self.rows):
            raise forms.ValidationError(_("Please correct the lines marked below."))
        self.line_inputs = lines
        return data

    def add_service_errors(self, error: Any) -> None:
        """Errors of lines ("lines.2.quantity") go on the row they name (the 3rd kept row)."""
        rest = {}
        for key, message in error.errors.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit():
                index = int(parts[1])
                if index < len(self._kept):
                    self._kept[index].errors.append(message)
                    continue
            rest[key] = message
        if "lines" in rest:
            self.add_error(None, rest.pop("lines"))
        if rest:
            super().add_service_errors(type(error)(rest))
        elif not self.errors:
            self.add_error(None, _("Please correct the lines marked below."))
