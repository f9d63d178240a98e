"""Leads and orders from files: their import specs (kith.core.importing), named by this app's
ImportKind doors. Leads are written by lead_create / lead_update, orders by the bulk path
orders_import (COPY / multi-row INSERT), so an imported record is stored like one entered by
hand. An order row names its contact by email, phone or Kith id and its product by SKU (or its
exact name); rows of an order file that share an order number are one order with several lines.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.errors import KithError
from kith.core.importing import (
    BatchOutcome,
    Cells,
    Checked,
    ImportContext,
    ImportField,
    ImportSpec,
    created_undo,
    fields_snapshot,
    service_failures,
    updates_undo,
)
from kith.core.models import ChangeRecord
from kith.customers.import_refs import CONTACT_REF_FIELDS, contact_ref_check, contact_refs_resolve
from kith.customers.normalise import email_normalise, phone_normalise
from kith.identity.access import visible_to
from kith.sales import services as sales_services
from kith.sales.models import Channel, Lead, Order, OrderLine, Product
from kith.sales.money import money_parse

F = ImportField
LEAD_FIELDS = (
    F("full_name", gettext_lazy("Full name"), ("fullname", "name", "leadname", "contactname", "hoten", "hovaten", "姓名")),
    F("email", gettext_lazy("Email"), ("email", "emailaddress", "mail", "邮箱", "电子邮件")),
    F("phone", gettext_lazy("Phone"), ("phone", "telephone", "mobile", "tel", "phonenumber", "dienthoai", "电话", "手机")),
    F("company_name", gettext_lazy("Company"), ("company", "companyname", "organisation", "organization", "congty", "公司")),
    F("website", gettext_lazy("Website"), ("website", "web", "domain", "url", "site", "网站")),
    F("message", gettext_lazy("Message"), ("message", "notes", "note", "comment", "description", "ghichu", "留言", "备注")),
    F("campaign", gettext_lazy("Campaign"), ("campaign", "utmcampaign", "chiendich", "活动")),
    F("status", gettext_lazy("Status"), ("status", "leadstatus", "trangthai", "状态")),
)  # fmt: skip
ORDER_FIELDS = (
    *CONTACT_REF_FIELDS,
    F("number", gettext_lazy("Order number"), ("number", "ordernumber", "orderno", "order", "orderid", "invoice", "madonhang")),
    F("ordered_at", gettext_lazy("Order date"), ("date", "orderdate", "orderedat", "ngay", "ngaydat", "日期", "下单时间")),
    F("product", gettext_lazy("Product (SKU or name)"), ("product", "sku", "productsku", "productname", "item", "sanpham", "产品")),
    F("quantity", gettext_lazy("Quantity"), ("quantity", "qty", "soluong", "数量")),
    F("unit_price", gettext_lazy("Unit price"), ("price", "unitprice", "dongia", "单价")),
    F("currency", gettext_lazy("Currency"), ("currency", "tiente", "货币")),
    F("status", gettext_lazy("Status"), ("status", "orderstatus", "trangthai", "状态")),
)  # fmt: skip
_LEAD_STATUSES = frozenset(Lead.Status.values) - {Lead.Status.CONVERTED}
_ORDER_STATUSES = frozenset(Order.Status.values)
# Earlier names of two statuses, still accepted in files.
_ORDER_STATUS_ALIASES = {"pending": Order.Status.PLACED, "shipped": Order.Status.FULFILLED}


# --- leads ------------------------------------------------------------------------------------


def lead_row_check(cells: Cells, item: Checked) -> None:
    """A row as lead_create arguments; the service checks them again when it writes."""
    values: dict[str, Any] = {
        "full_name": cells.text("full_name", 200, required=True),
        "company_name": cells.text("company_name", 200),
        "message": cells.text("message", 5000),
        "campaign": cells.text("campaign", 120),
        "website": cells.text("website", 253),
    }
    for name, normalise in (("email", email_normalise), ("phone", phone_normalise)):
        values[name] = ""
        if cells.get(name):
            try:
                values[name] = normalise(cells.get(name))
            except ValueError as exc:
                cells.fail(name, str(exc))
    status = cells.get("status").lower() or Lead.Status.NEW
    if status not in _LEAD_STATUSES:
        cells.fail("status", _("Choose new, working, qualified or disqualified."))
    values["status"] = status
    item.values = values


def lead_keys(item: Checked) -> list[str]:
    return [f"{name}:{item.values[name]}" for name in ("email", "phone") if item.values[name]]


def leads_existing(ctx: ImportContext, items: list[Checked]) -> dict[int, int]:
    """Rows with the email (first) or phone of a lead `by` can see."""
    scope = visible_to(Lead.objects.all(), user=ctx.by, module="leads")
    existing: dict[str, int] = {}
    for name in ("email", "phone"):
        listed = sorted({i.values[name] for i in items if i.values[name]})
        for start in range(0, len(listed), 500):
            for value, pk in (
                scope.filter(**{f"{name}__in": listed[start : start + 500]})
                .order_by("pk")
                .values_list(name, "pk")
            ):
                existing.setdefault(f"{name}:{value}", pk)
    found = {}
    for index, item in enumerate(items):
        match = next((existing[k] for k in lead_keys(item) if k in existing), None)
        if match is not None:
            found[index] = match
    return found


def leads_write(ctx: ImportContext, items: list[Checked]) -> BatchOutcome:
    """Each row through sales.lead_create (a row it refuses goes to the error file)."""
    out = BatchOutcome()
    for item in items:
        try:
            with transaction.atomic():
                lead = sales_services.lead_create(
                    by=ctx.by, source_channel=Channel.IMPORT, **item.values
                )
        except KithError as exc:
            out.failures += service_failures(item, exc, ctx)
            continue
        out.created_ids.append(lead.pk)
    return out


def lead_merge(ctx: ImportContext, item: Checked, lead_id: int) -> dict[str, Any] | None:
    """The lead's empty fields filled from the row through lead_update."""
    lead = Lead.objects.get(pk=lead_id)
    before = fields_snapshot(lead)
    fill = {
        name: value
        for name, value in item.values.items()
        if name != "status" and value and not getattr(lead, name)
    }
    if not fill:
        return None
    last_change = ChangeRecord.objects.aggregate(top=Max("id"))["top"] or 0
    with transaction.atomic():
        sales_services.lead_update(by=ctx.by, lead_id=lead_id, version=lead.version, **fill)
    changes = list(
        ChangeRecord.objects.filter(
            model="sales.lead", object_id=lead_id, pk__gt=last_change
        ).values_list("pk", flat=True)
    )
    return {"fields": before, "changes": changes}


def leads_undo(ranges: list[list[int]], updates: list[Any], actor_id: int | None) -> None:
    created_undo(Lead, ranges)
    updates_undo(Lead, updates)


LEADS = ImportSpec(
    fields=LEAD_FIELDS,
    row_check=lead_row_check,
    keys=lead_keys,
    existing=leads_existing,
    write=leads_write,
    merge=lead_merge,
    undo=leads_undo,
    tables=(Lead,),
)


# --- orders -----------------------------------------------------------------------------------


def order_row_check(cells: Cells, item: Checked) -> None:
    """A row as an order line: what can be checked without the database (the contact and
    the product are looked up by orders_check)."""
    contact_ref_check(cells, item)
    if not cells.get("product"):
        cells.fail("product", _("Name the product (its SKU)."))
    quantity_raw = cells.get("quantity") or "1"
    quantity = int(quantity_raw) if quantity_raw.isdigit() else 0
    if quantity <= 0:
        cells.fail("quantity", _("The quantity must be a whole number of at least 1."))
    status = cells.get("status").lower() or Order.Status.PAID
    status = _ORDER_STATUS_ALIASES.get(status, status)
    item.values.update(
        product=cells.get("product"),
        product_column=cells.column("product"),
        quantity=quantity,
        currency_raw=cells.get("currency"),
        currency_column=cells.column("currency"),
        unit_price=cells.get("unit_price"),
        unit_price_column=cells.column("unit_price"),
        number=cells.text("number", 40),
        ordered_at=cells.when("ordered_at") or timezone.now(),
        status=status,
    )
    if status not in _ORDER_STATUSES:
        cells.fail(
            "status",
            _("Choose placed, paid, fulfilled, cancelled, refunded or partially_refunded."),
        )


def orders_check(ctx: ImportContext, items: list[Checked]) -> None:
    """The contact and the product of each row; the currency and price (the product's when
    the row has none)."""
    contact_refs_resolve(ctx, items)
    wanted = sorted({i.values["product"] for i in items if i.values.get("product")})
    products: dict[str, Product] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for product in Product.objects.filter(sku__in=chunk):
            products[product.sku] = product
        for product in Product.objects.filter(name__in=chunk).order_by("pk"):
            products.setdefault(product.name, product)
    for item in items:
        v = item.values
        if "product" not in v:
            continue
        product = products.get(v["product"])
        problems: list[tuple[str, str]] = []
        if v["product"] and product is None:
            problems.append((v["product_column"], _("No product has this SKU or name.")))
        currency = (v["currency_raw"] or (product.currency if product else "USD")).upper()
        if len(currency) != 3 or not currency.isalpha():
            problems.append(
                (
                    v["currency_column"],
                    _("Use a three-letter currency code such as VND, CNY or USD."),
                )
            )
        price = product.price_minor if product else 0
        if v["unit_price"]:
            try:
                price = money_parse(v["unit_price"], currency)
            except ValueError:
                problems.append(
                    (
                        v["unit_price_column"],
                        _("“%(v)s” is not an amount.") % {"v": v["unit_price"]},
                    )
                )
            if price < 0:
                problems.append((v["unit_price_column"], _("The price cannot be negative.")))
        item.problems += problems
        v.update(product_id=product.pk if product else None, unit_price_minor=price)
        v["currency"] = currency


def orders_existing(ctx: ImportContext, items: list[Checked]) -> dict[int, int]:
    """Lines of an order whose number Kith already has for that contact."""
    numbered = {(i.values["contact_id"], i.values["number"]) for i in items if i.values["number"]}
    if not numbered:
        return {}
    known = dict(
        ((contact_id, number), pk)
        for pk, contact_id, number in Order.objects.filter(
            contact_id__in={c for c, _n in numbered}, number__in={n for _c, n in numbered}
        ).values_list("pk", "contact_id", "number")
    )
    return {
        index: known[(i.values["contact_id"], i.values["number"])]
        for index, i in enumerate(items)
        if i.values["number"] and (i.values["contact_id"], i.values["number"]) in known
    }


def orders_write(ctx: ImportContext, items: list[Checked]) -> BatchOutcome:
    """Rows grouped into orders (by order number; a row without one is an order of its own)
    and written by sales.orders_import, which also refreshes the purchase summaries."""
    out = BatchOutcome()
    groups: dict[Any, list[Checked]] = {}
    for index, item in enumerate(items):
        v = item.values
        key = (v["contact_id"], v["number"]) if v["number"] else ("row", index)
        groups.setdefault(key, []).append(item)
    orders = []
    for lines in groups.values():
        first = lines[0].values
        orders.append(
            sales_services.OrderImport(
                contact_id=first["contact_id"],
                ordered_at=first["ordered_at"],
                lines=[
                    (i.values["product_id"], i.values["quantity"], i.values["unit_price_minor"])
                    for i in lines
                ],
                currency=first["currency"],
                status=first["status"],
                number=first["number"],
            )
        )
    if not orders:
        return out
    with transaction.atomic():
        before = Order.objects.aggregate(top=Max("id"))["top"] or 0
        sales_services.orders_import(by=ctx.by, orders=orders)
        out.created_ids = list(
            Order.objects.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True)
        )
    return out


def orders_undo(ranges: list[list[int]], updates: list[Any], actor_id: int | None) -> None:
    """The orders removed, and their contacts' purchase summaries recomputed."""
    touched: set[int] = set()
    for first, last in ranges:
        touched.update(
            Order.objects.filter(pk__gte=first, pk__lte=last).values_list("contact_id", flat=True)
        )
    created_undo(Order, ranges)
    if touched:
        sales_services.purchase_summaries_refresh(contact_ids=touched)


ORDERS = ImportSpec(
    fields=ORDER_FIELDS,
    row_check=order_row_check,
    batch_check=orders_check,
    existing=orders_existing,
    write=orders_write,
    undo=orders_undo,
    group_field="number",
    bulk=True,
    tables=(Order, OrderLine),
)
