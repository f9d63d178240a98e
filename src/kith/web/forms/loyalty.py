"""Setting a loyalty programme up in the browser: the programme, its tiers, earning rules and
rewards (the services check the right and the values; labels are the models' own)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.loyalty.models import EarningRule, Programme, Reward, Tier
from kith.web.forms.base import ServiceForm


def _label(model: Any, name: str) -> Any:
    return model._meta.get_field(name).verbose_name


def _whole(model: Any, name: str, *, initial: int = 0, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=_label(model, name), initial=initial, required=required, min_value=0
    )


class ProgrammeForm(ServiceForm):
    name = forms.CharField(label=_label(Programme, "name"), max_length=120)
    currency = forms.CharField(label=_label(Programme, "currency"), max_length=3, initial="USD")
    currency_digits = _whole(Programme, "currency_digits", initial=2)
    points_per_unit = _whole(Programme, "points_per_unit", initial=1)
    point_value_minor = forms.DecimalField(
        label=_label(Programme, "point_value_minor"), initial=1, min_value=0, decimal_places=4
    )
    expiry_months = _whole(Programme, "expiry_months", initial=0)
    daily_limit = _whole(Programme, "daily_limit", initial=0)
    tier_basis = forms.ChoiceField(
        label=_label(Programme, "tier_basis"), choices=Programme.TierBasis.choices
    )
    tier_window_days = _whole(Programme, "tier_window_days", initial=365)
    grace_days = _whole(Programme, "grace_days", initial=30)

    def service_kwargs(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["currency"] = values["currency"].upper()
        return values


class TierForm(ServiceForm):
    name = forms.CharField(label=_label(Tier, "name"), max_length=80)
    position = _whole(Tier, "position")
    threshold = _whole(Tier, "threshold")
    multiplier_percent = _whole(Tier, "multiplier_percent", initial=100)
    benefits = forms.CharField(
        label=_label(Tier, "benefits"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _products(products: list[tuple[int, str]]) -> list[tuple[str, str]]:
    return [("", "—"), *((str(pk), name) for pk, name in products)]


class EarningRuleForm(ServiceForm):
    kind = forms.ChoiceField(label=_label(EarningRule, "kind"), choices=EarningRule.Kind.choices)
    product_id = forms.ChoiceField(label=_label(EarningRule, "product_id"), required=False)
    category = forms.CharField(label=_label(EarningRule, "category"), required=False)
    event = forms.ChoiceField(
        label=_label(EarningRule, "event"), required=False,
        choices=[("", "—"), *EarningRule.Event.choices],
    )  # fmt: skip
    multiplier_percent = _whole(EarningRule, "multiplier_percent", initial=100)
    points = _whole(EarningRule, "points", initial=0)

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = _products(products)

    def service_kwargs(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["product_id"] = int(values["product_id"]) if values["product_id"] else None
        return values


class RewardForm(ServiceForm):
    name = forms.CharField(label=_label(Reward, "name"), max_length=120)
    kind = forms.ChoiceField(label=_label(Reward, "kind"), choices=Reward.Kind.choices)
    cost_points = _whole(Reward, "cost_points", initial=100)
    discount_percent = _whole(Reward, "discount_percent", initial=0)
    value_minor = _whole(Reward, "value_minor", initial=0)
    product_id = forms.ChoiceField(label=_label(Reward, "product_id"), required=False)
    tier_id = forms.ChoiceField(label=_label(Reward, "tier"), required=False)
    valid_days = _whole(Reward, "valid_days", initial=90)

    def __init__(
        self, *args: Any, products: list[tuple[int, str]], tiers: list[Tier], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = _products(products)
        self.fields["tier_id"].choices = [("", "—"), *((str(t.pk), t.name) for t in tiers)]
        self.fields["value_minor"].help_text = _("In minor units (cents).")

    def service_kwargs(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        for name in ("product_id", "tier_id"):
            values[name] = int(values[name]) if values[name] else None
        return values
