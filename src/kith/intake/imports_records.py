"""Imports of leads, orders and interactions: each row is checked here (the preview shows the
same problems the run finds) and written by the owning app's services — sales.lead_create,
sales.orders_import, engagement.interaction_create — so an imported record is stored exactly
like one entered by hand.

A row names its contact by email, phone or Kith id; orders name their product by SKU (or its
exact name). Rows of an order file that share an order number are one order with several lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, KithError
from kith.core.models import ChangeRecord
from kith.core.text import clean
from kith.customers.models import Contact, ContactPoint
from kith.customers.normalise import email_normalise, phone_normalise
from kith.engagement import services as engagement_services
from kith.engagement.models import Interaction
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales import services as sales_services
from kith.sales.models import Channel, Lead, Order, Product
from kith.sales.money import money_parse

# field: header synonyms (folded, separators removed), as in kith.intake.imports
LEAD_FIELDS: dict[str, tuple[str, ...]] = {
    "full_name": ("fullname", "name", "leadname", "contactname", "hoten", "hovaten", "姓名"),
    "email": ("email", "emailaddress", "mail", "邮箱", "电子邮件"),
    "phone": ("phone", "telephone", "mobile", "tel", "phonenumber", "dienthoai", "电话", "手机"),
    "company_name": ("company", "companyname", "organisation", "organization", "congty", "公司"),
    "website": ("website", "web", "domain", "url", "site", "网站"),
    "message": ("message", "notes", "note", "comment", "description", "ghichu", "留言", "备注"),
    "campaign": ("campaign", "utmcampaign", "chiendich", "活动"),
    "status": ("status", "leadstatus", "trangthai", "状态"),
}
CONTACT_REF_FIELDS: dict[str, tuple[str, ...]] = {
    "contact_email": ("email", "contactemail", "customeremail", "emailaddress", "邮箱"),
    "contact_phone": ("phone", "contactphone", "customerphone", "mobile", "dienthoai", "电话"),
    "contact_id": ("contactid", "customerid", "kithid"),
}
ORDER_FIELDS: dict[str, tuple[str, ...]] = {
    **CONTACT_REF_FIELDS,
    "number": ("number", "ordernumber", "orderno", "order", "orderid", "invoice", "madonhang"),
    "ordered_at": ("date", "orderdate", "orderedat", "ngay", "ngaydat", "日期", "下单时间"),
    "product": ("product", "sku", "productsku", "productname", "item", "sanpham", "产品"),
    "quantity": ("quantity", "qty", "soluong", "数量"),
    "unit_price": ("price", "unitprice", "dongia", "单价"),
    "currency": ("currency", "tiente", "货币"),
    "status": ("status", "orderstatus", "trangthai", "状态"),
}
INTERACTION_FIELDS: dict[str, tuple[str, ...]] = {
    **CONTACT_REF_FIELDS,
    "kind": ("kind", "type", "interactiontype", "activity", "loai", "类型"),
    "occurred_at": ("date", "when", "occurredat", "datetime", "time", "ngay", "日期", "时间"),
    "subject": ("subject", "title", "tieude", "主题"),
    "body": ("body", "text", "notes", "note", "content", "description", "noidung", "内容"),
    "direction": ("direction", "huong", "方向"),
    "channel": ("channel", "kenh", "渠道"),
    "duration_seconds": ("duration", "durationseconds", "seconds", "thoiluong", "时长"),
    "outcome": ("outcome", "result", "ketqua", "结果"),
}

_DATE_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%d/%m/%Y %H:%M")
_LEAD_STATUSES = frozenset(Lead.Status.values) - {Lead.Status.CONVERTED}
_ORDER_STATUSES = frozenset(Order.Status.values)
# Earlier names of two statuses, still accepted in files.
_ORDER_STATUS_ALIASES = {"pending": Order.Status.PLACED, "shipped": Order.Status.FULFILLED}
_KINDS = frozenset(Interaction.Kind.values)
_DIRECTIONS = frozenset(Interaction.Direction.values)
_OUTCOMES = frozenset(Interaction.Outcome.values)
_KIND_SYNONYMS = {"phone": "call", "phonecall": "call", "e-mail": "email", "mail": "email"}


Problem = tuple[str, str]  # (column, message)


@dataclass
class Checked:
    """One row of a file, checked: `values` for the writer, or the problems that stop it."""

    number: int
    row: Sequence[str]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class _Row:
    """The mapped cells of one row, and the column each field came from (for messages)."""

    def __init__(self, row: Sequence[str], header: Sequence[str], mapping: dict[str, str]):
        self.cells: dict[str, tuple[str, str]] = {}
        self.columns = {target: column for column, target in mapping.items() if target}
        for index, column in enumerate(header):
            target = mapping.get(column, "")
            if target and index < len(row) and row[index].strip() and target not in self.cells:
                self.cells[target] = (column, clean(row[index]))
        self.problems: list[Problem] = []

    def get(self, name: str) -> str:
        return self.cells[name][1] if name in self.cells else ""

    def column(self, name: str) -> str:
        return self.cells[name][0] if name in self.cells else self.columns.get(name, name)

    def fail(self, name: str, message: str) -> None:
        self.problems.append((self.column(name), message))

    def text(self, name: str, limit: int, *, required: bool = False) -> str:
        value = self.get(name)
        if required and not value:
            self.fail(name, _("This field is required."))
        if len(value) > limit:
            self.fail(name, _("Use at most %(n)d characters.") % {"n": limit})
        return value[:limit]

    def when(self, name: str) -> datetime | None:
        """A date or date and time in ISO or day/month/year form, in the site's time zone."""
        raw = self.get(name)
        if not raw:
            return None
        parsed: datetime | None = None
        try:
            parsed = parse_datetime(raw.replace("/", "-")) if "T" in raw or ":" in raw else None
            if parsed is None and (only_date := parse_date(raw)) is not None:
                parsed = datetime.combine(only_date, time(12))
        except ValueError:
            parsed = None
        for pattern in _DATE_FORMATS if parsed is None else ():
            try:
                parsed = datetime.strptime(raw, pattern)
                break
            except ValueError:
                continue
        if parsed is None:
            self.fail(name, _("“%(v)s” is not a date (use 2026-03-31).") % {"v": raw[:40]})
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed


def _contacts_resolve(by: User, rows: list[_Row], checked: list[Checked]) -> None:
    """Put the contact id of each row (by Kith id, email or phone, among contacts `by` may see)
    in values["contact_id"], or a problem naming the column."""
    emails: dict[int, str] = {}
    phones: dict[int, str] = {}
    ids: dict[int, int] = {}
    for index, row in enumerate(rows):
        if row.get("contact_id"):
            if row.get("contact_id").isdigit():
                ids[index] = int(row.get("contact_id"))
            else:
                row.fail("contact_id", _("A contact id is a number."))
        elif row.get("contact_email"):
            try:
                emails[index] = email_normalise(row.get("contact_email"))
            except ValueError as exc:
                row.fail("contact_email", str(exc))
        elif row.get("contact_phone"):
            try:
                phones[index] = phone_normalise(row.get("contact_phone"))
            except ValueError as exc:
                row.fail("contact_phone", str(exc))
        else:
            row.fail(
                "contact_email", _("Say whose it is: map a column to the contact's email or id.")
            )
    found: dict[tuple[str, str], int] = {}
    for kind, values in ((ContactPoint.Kind.EMAIL, emails), (ContactPoint.Kind.PHONE, phones)):
        wanted = sorted(set(values.values()))
        for start in range(0, len(wanted), 500):
            for value, contact_id in (
                ContactPoint.objects.filter(kind=kind, value__in=wanted[start : start + 500])
                .order_by("contact_id")
                .values_list("value", "contact_id")
            ):
                found.setdefault((kind, value), contact_id)
    candidates = {*ids.values(), *found.values()}
    visible: set[int] = set()
    scope = visible_to(Contact.objects.all(), user=by, module="contacts")
    ordered = sorted(candidates)
    for start in range(0, len(ordered), 500):
        visible.update(
            scope.filter(pk__in=ordered[start : start + 500]).values_list("pk", flat=True)
        )
    for index, row in enumerate(rows):
        if index in ids:
            contact_id, source = ids[index], "contact_id"
        elif index in emails:
            contact_id = found.get((ContactPoint.Kind.EMAIL, emails[index]), 0)
            source = "contact_email"
        elif index in phones:
            contact_id = found.get((ContactPoint.Kind.PHONE, phones[index]), 0)
            source = "contact_phone"
        else:
            continue
        if contact_id in visible:
            checked[index].values["contact_id"] = contact_id
        else:
            row.fail(source, _("No contact you can see has this %(what)s.") % {
                "what": {"contact_id": _("id"), "contact_email": _("email"),
                         "contact_phone": _("phone")}[source],
            })  # fmt: skip


def leads_check(
    by: User, header: Sequence[str], rows: Sequence[Sequence[str]], numbers: Sequence[int],
    mapping: dict[str, str],
) -> list[Checked]:  # fmt: skip
    """Rows as lead_create arguments; the service checks them again when it writes."""
    result = []
    for number, raw in zip(numbers, rows, strict=True):
        row = _Row(raw, header, mapping)
        values: dict[str, Any] = {
            "full_name": row.text("full_name", 200, required=True),
            "company_name": row.text("company_name", 200),
            "message": row.text("message", 5000),
            "campaign": row.text("campaign", 120),
            "website": row.text("website", 253),
        }
        for name, normalise in (("email", email_normalise), ("phone", phone_normalise)):
            values[name] = ""
            if row.get(name):
                try:
                    values[name] = normalise(row.get(name))
                except ValueError as exc:
                    row.fail(name, str(exc))
        status = row.get("status").lower() or Lead.Status.NEW
        if status not in _LEAD_STATUSES:
            row.fail("status", _("Choose new, working, qualified or disqualified."))
        values["status"] = status
        result.append(Checked(number, raw, values, row.problems))
    return result


def orders_check(
    by: User, header: Sequence[str], rows: Sequence[Sequence[str]], numbers: Sequence[int],
    mapping: dict[str, str],
) -> list[Checked]:  # fmt: skip
    """Rows as order lines (contact, product, quantity, price in minor units)."""
    parsed = [_Row(raw, header, mapping) for raw in rows]
    checked = [Checked(n, raw) for n, raw in zip(numbers, rows, strict=True)]
    _contacts_resolve(by, parsed, checked)
    wanted = {row.get("product") for row in parsed if row.get("product")}
    products: dict[str, Product] = {}
    if wanted:
        listed = sorted(wanted)
        for start in range(0, len(listed), 500):
            chunk = listed[start : start + 500]
            for product in Product.objects.filter(sku__in=chunk):
                products[product.sku] = product
            for product in Product.objects.filter(name__in=chunk).order_by("pk"):
                products.setdefault(product.name, product)
    for row, item in zip(parsed, checked, strict=True):
        product = products.get(row.get("product"))
        if not row.get("product"):
            row.fail("product", _("Name the product (its SKU)."))
        elif product is None:
            row.fail("product", _("No product has this SKU or name."))
        quantity_raw = row.get("quantity") or "1"
        quantity = int(quantity_raw) if quantity_raw.isdigit() else 0
        if quantity <= 0:
            row.fail("quantity", _("The quantity must be a whole number of at least 1."))
        currency = (row.get("currency") or (product.currency if product else "USD")).upper()
        if len(currency) != 3 or not currency.isalpha():
            row.fail("currency", _("Use a three-letter currency code such as VND, CNY or USD."))
        price = product.price_minor if product else 0
        if row.get("unit_price"):
            try:
                price = money_parse(row.get("unit_price"), currency)
            except ValueError:
                row.fail(
                    "unit_price", _("“%(v)s” is not an amount.") % {"v": row.get("unit_price")}
                )
            if price < 0:
                row.fail("unit_price", _("The price cannot be negative."))
        status = row.get("status").lower() or Order.Status.PAID
        status = _ORDER_STATUS_ALIASES.get(status, status)
        if status not in _ORDER_STATUSES:
            row.fail(
                "status",
                _("Choose placed, paid, fulfilled, cancelled, refunded or partially_refunded."),
            )
        item.values.update(
            number=row.text("number", 40),
            ordered_at=row.when("ordered_at") or timezone.now(),
            product_id=product.pk if product else None,
            quantity=quantity,
            unit_price_minor=price,
            currency=currency,
            status=status,
        )
        item.problems = row.problems
    return checked


def interactions_check(
    by: User, header: Sequence[str], rows: Sequence[Sequence[str]], numbers: Sequence[int],
    mapping: dict[str, str],
) -> list[Checked]:  # fmt: skip
    """Rows as interaction_create arguments (the contact resolved)."""
    parsed = [_Row(raw, header, mapping) for raw in rows]
    checked = [Checked(n, raw) for n, raw in zip(numbers, rows, strict=True)]
    _contacts_resolve(by, parsed, checked)
    for row, item in zip(parsed, checked, strict=True):
        kind = row.get("kind").lower() or Interaction.Kind.NOTE
        kind = _KIND_SYNONYMS.get(kind, kind)
        if kind not in _KINDS:
            row.fail("kind", _("Choose call, email, meeting, chat, social, visit or note."))
        direction = row.get("direction").lower()
        direction = {"inbound": "in", "outbound": "out"}.get(direction, direction)
        if direction not in _DIRECTIONS:
            row.fail("direction", _("Direction is in, out or empty."))
        outcome = row.get("outcome").lower().replace(" ", "_")
        if outcome not in _OUTCOMES:
            row.fail("outcome", _("Choose a call outcome."))
        duration: int | None = None
        if row.get("duration_seconds"):
            if row.get("duration_seconds").isdigit():
                duration = int(row.get("duration_seconds"))
            else:
                row.fail("duration_seconds", _("The duration is a number of seconds."))
        body = row.text("body", 100_000)
        subject = row.text("subject", 300)
        if kind == Interaction.Kind.NOTE and not (body or subject):
            row.fail("body", _("A note needs some text."))
        item.values.update(
            kind=kind,
            occurred_at=row.when("occurred_at") or timezone.now(),
            subject=subject,
            body=body,
            direction=direction,
            channel=row.text("channel", 32),
            duration_seconds=duration,
            outcome=outcome,
        )
        item.problems = row.problems
    return checked


CHECKS: dict[str, Callable[..., list[Checked]]] = {
    "leads": leads_check,
    "orders": orders_check,
    "interactions": interactions_check,
}
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "leads": LEAD_FIELDS,
    "orders": ORDER_FIELDS,
    "interactions": INTERACTION_FIELDS,
}
MODELS: dict[str, Any] = {"leads": Lead, "orders": Order, "interactions": Interaction}


# --- writing ----------------------------------------------------------------------------------


@dataclass
class BatchOutcome:
    created_ids: list[int] = field(default_factory=list)
    updated: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (id, before)
    skipped: int = 0
    failures: list[tuple[int, str, str, Sequence[str]]] = field(default_factory=list)


def _service_failure(item: Checked, exc: KithError, mapping: dict[str, str]) -> list:
    columns = {target: column for column, target in mapping.items() if target}
    errors = exc.errors if isinstance(exc, FieldError) else {"": str(exc)}
    return [
        (item.number, columns.get(name.split(".")[0], name), str(message), item.row)
        for name, message in errors.items()
    ]


def leads_write(
    by: User, items: list[Checked], policy: str, mapping: dict[str, str]
) -> BatchOutcome:
    """Each valid row through sales.lead_create. A lead with the same email (or phone) as one
    `by` can see is a duplicate: skipped, filled in (merge: its empty fields only) or created."""
    from kith.intake.imports import fields_snapshot

    out = BatchOutcome()
    emails = {i.values["email"] for i in items if i.values["email"]}
    phones = {i.values["phone"] for i in items if i.values["phone"]}
    scope = visible_to(Lead.objects.all(), user=by, module="leads")
    existing: dict[str, int] = {}
    for name, values in (("email", emails), ("phone", phones)):
        listed = sorted(values)
        for start in range(0, len(listed), 500):
            for value, pk in (
                scope.filter(**{f"{name}__in": listed[start : start + 500]})
                .order_by("pk")
                .values_list(name, "pk")
            ):
                existing.setdefault(f"{name}:{value}", pk)
    for item in items:
        keys = [f"email:{item.values['email']}", f"phone:{item.values['phone']}"]
        match = next((existing[k] for k in keys if k in existing and not k.endswith(":")), None)
        if match is not None and policy != "create":
            if policy == "merge":
                lead = Lead.objects.get(pk=match)
                before = fields_snapshot(lead)
                fill = {
                    name: value
                    for name, value in item.values.items()
                    if name not in ("status",) and value and not getattr(lead, name)
                }
                if fill:
                    last_change = ChangeRecord.objects.aggregate(top=Max("id"))["top"] or 0
                    try:
                        with transaction.atomic():
                            sales_services.lead_update(
                                by=by, lead_id=match, version=lead.version, **fill
                            )
                    except KithError as exc:
                        out.failures += _service_failure(item, exc, mapping)
                        continue
                    changes = list(
                        ChangeRecord.objects.filter(
                            model="sales.lead", object_id=match, pk__gt=last_change
                        ).values_list("pk", flat=True)
                    )
                    out.updated.append((match, {"fields": before, "changes": changes}))
                    continue
            out.skipped += 1
            continue
        try:
            with transaction.atomic():
                lead = sales_services.lead_create(
                    by=by, source_channel=Channel.IMPORT, **item.values
                )
        except KithError as exc:
            out.failures += _service_failure(item, exc, mapping)
            continue
        out.created_ids.append(lead.pk)
        for k in keys:
            if not k.endswith(":"):
                existing.setdefault(k, lead.pk)
    return out


def interactions_write(
    by: User, items: list[Checked], policy: str, mapping: dict[str, str]
) -> BatchOutcome:
    """Each valid row through engagement.interaction_create. The same contact, kind, time and
    subject as an interaction already logged is a duplicate: skipped unless the policy is
    "create" (an interaction has nothing to merge into)."""
    out = BatchOutcome()
    contact_ids = sorted({i.values["contact_id"] for i in items})
    seen: set[tuple] = set()
    for start in range(0, len(contact_ids), 500):
        seen.update(
            Interaction.objects.filter(contact_id__in=contact_ids[start : start + 500]).values_list(
                "contact_id", "kind", "occurred_at", "subject"
            )
        )
    for item in items:
        v = item.values
        key = (v["contact_id"], v["kind"], v["occurred_at"], v["subject"])
        if key in seen and policy != "create":
            out.skipped += 1
            continue
        try:
            with transaction.atomic():
                interaction = engagement_services.interaction_create(
                    by=by,
                    contact=v["contact_id"],
                    **{k: x for k, x in v.items() if k != "contact_id"},
                )
        except KithError as exc:
            out.failures += _service_failure(item, exc, mapping)
            continue
        seen.add(key)
        out.created_ids.append(interaction.pk)
    return out


def orders_write(
    by: User, items: list[Checked], policy: str, mapping: dict[str, str]
) -> BatchOutcome:
    """Rows grouped into orders (by order number; a row without one is an order of its own)
    and written by sales.orders_import, which also refreshes the purchase summaries. An order
    whose number Kith already has for that contact is a duplicate: skipped unless the policy is
    "create"."""
    out = BatchOutcome()
    groups: dict[Any, list[Checked]] = {}
    for index, item in enumerate(items):
        v = item.values
        key = (v["contact_id"], v["number"]) if v["number"] else ("row", index)
        groups.setdefault(key, []).append(item)
    numbered = {(k[0], k[1]) for k in groups if k[0] != "row"}
    known = set()
    if numbered:
        known = set(
            Order.objects.filter(
                contact_id__in={c for c, _n in numbered}, number__in={n for _c, n in numbered}
            ).values_list("contact_id", "number")
        )
    orders = []
    for key, lines in groups.items():
        if key in known and policy != "create":
            out.skipped += len(lines)
            continue
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
        sales_services.orders_import(by=by, orders=orders)
        out.created_ids = list(
            Order.objects.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True)
        )
    return out


WRITERS: dict[str, Callable[..., BatchOutcome]] = {
    "leads": leads_write,
    "orders": orders_write,
    "interactions": interactions_write,
}


def records_undo(kind: str, ranges: list[list[int]], updates: list[Any]) -> None:
    """Remove what an import of `kind` created (and its history) and put back what it changed;
    an order import's contacts get their purchase summaries recomputed."""
    from kith.intake.imports import fields_restore

    model = MODELS[kind]
    label = model._meta.label_lower
    touched: set[int] = set()
    for first, last in ranges:
        rows = model.objects.filter(pk__gte=first, pk__lte=last)
        if kind == "orders":
            touched.update(rows.values_list("contact_id", flat=True))
        rows.delete()
        ChangeRecord.objects.filter(model=label, object_id__gte=first, object_id__lte=last).delete()
    for update in updates:
        model.objects.filter(pk=update.record_id).update(
            **fields_restore(model, update.before["fields"])
        )
        ChangeRecord.objects.filter(pk__in=update.before.get("changes", [])).delete()
    if touched:
        sales_services.purchase_summaries_refresh(contact_ids=touched)


def ranges_add(ranges: list[list[int]], ids: Sequence[int]) -> list[list[int]]:
    """`ranges` ([first, last] pairs) extended by `ids`, consecutive ids joined."""
    result = [list(r) for r in ranges]
    for pk in sorted(ids):
        if result and result[-1][1] + 1 == pk:
            result[-1][1] = pk
        else:
            result.append([pk, pk])
    return result
