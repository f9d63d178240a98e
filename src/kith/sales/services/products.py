"""Writes of the product catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError, NotFound
from kith.core.validation import currency_clean, text_clean, unknown_fields_check
from kith.identity.access import require
from kith.identity.models import User
from kith.sales.models import Product


def _product_apply(product: Product, values: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "sku" in values:
        product.sku = text_clean(values["sku"], field="sku", limit=64, errors=errors, required=True)
        if product.sku and Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists():
            errors["sku"] = _("Another product has this SKU.")
    if "name" in values:
        product.name = text_clean(
            values["name"], field="name", limit=200, errors=errors, required=True
        )
    if "category" in values:
        product.category = text_clean(values["category"], field="category", limit=80, errors=errors)
    if "currency" in values:
        product.currency = currency_clean(values["currency"], field="currency", errors=errors)
    if "price_minor" in values:
        try:
            product.price_minor = int(values["price_minor"])
        except (TypeError, ValueError):
            errors["price_minor"] = _("Enter a whole number of minor units.")
        if product.price_minor < 0:
            errors["price_minor"] = _("The price cannot be negative.")
    if "is_active" in values:
        product.is_active = bool(values["is_active"])


@transaction.atomic
def product_create(
    *,
    by: User,
    sku: str,
    name: str,
    price_minor: int,
    currency: str = "USD",
    category: str = "",
    is_active: bool = True,
) -> Product:
    """Add a product to the catalogue (SKU unique)."""
    require(by, "products", "create")
    product = Product()
    errors: dict[str, str] = {}
    _product_apply(
        product,
        {"sku": sku, "name": name, "price_minor": price_minor, "currency": currency,
         "category": category, "is_active": is_active},
        errors,
    )  # fmt: skip
    if errors:
        raise FieldError(errors)
    product.save()
    changes_record(instance=product, actor=by, before=None, after={})
    return product


@transaction.atomic
def product_update(*, by: User, product_id: int, **values: Any) -> Product:
    """Change the named fields of a product; history records each change."""
    require(by, "products", "edit")
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Not found."))
    errors: dict[str, str] = {}
    unknown_fields_check(
        values, frozenset({"sku", "name", "price_minor", "currency", "category", "is_active"})
    )
    before = {k: str(getattr(product, k)) for k in values}
    _product_apply(product, values, errors)
    if errors:
        raise FieldError(errors)
    product.save()
    changes_record(
        instance=product,
        actor=by,
        before=before,
        after={k: str(getattr(product, k)) for k in values},
    )
    return product
