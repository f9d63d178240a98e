"""The contact a row of an import names (orders, interactions, messages, …): by Kith id,
email, phone, social handle or, when the import allows it, a similar name; and the set-based
lookup of contacts by their normalised points that the contacts import's duplicate check
shares.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.bulk import values_write
from kith.core.importing import Cells, Checked, ImportContext, ImportField
from kith.customers.models import Contact, ContactPoint
from kith.customers.normalise import email_normalise, phone_normalise, social_normalise
from kith.identity.access import visible_to

F = ImportField


def points_owners(by: Any, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(kind, value) -> the lowest id of a contact `by` may see that has this point.

    One set-based join: the keys go into a temporary table (COPY / multi-row INSERT) that is
    joined with the points on their (kind, value) index; the access scope is then applied to
    the few contacts found (a subquery over every visible contact would scan the table)."""
    if not keys:
        return {}
    quote = connection.ops.quote_name
    points = quote(ContactPoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS kith_import_keys"
            " (kind varchar(16) NOT NULL, value varchar(320) NOT NULL)"
        )
        cursor.execute("DELETE FROM kith_import_keys")
        values_write("kith_import_keys", ("kind", "value"), sorted(keys))
        cursor.execute(
            f"SELECT k.kind, k.value, p.contact_id FROM kith_import_keys k"  # noqa: S608
            f" JOIN {points} p ON p.kind = k.kind AND p.value = k.value"
        )
        hits = cursor.fetchall()
        cursor.execute("DELETE FROM kith_import_keys")
    if not hits:
        return {}
    ids = sorted({contact_id for _k, _v, contact_id in hits})
    visible: set[int] = set()
    scope = visible_to(Contact.objects.all(), user=by, module="contacts")
    for start in range(0, len(ids), 500):
        visible.update(scope.filter(pk__in=ids[start : start + 500]).values_list("pk", flat=True))
    found: dict[tuple[str, str], int] = {}
    for kind, value, contact_id in sorted(hits, key=lambda h: h[2]):
        if contact_id in visible:
            found.setdefault((kind, value), contact_id)
    return found


# --- the contact a row of another kind names ---------------------------------------------------

CONTACT_REF_FIELDS = (
    F("contact_email", gettext_lazy("Contact's email"), ("email", "contactemail", "customeremail", "emailaddress", "邮箱")),
    F("contact_phone", gettext_lazy("Contact's phone"), ("phone", "contactphone", "customerphone", "mobile", "dienthoai", "电话")),
    F("contact_id", gettext_lazy("Contact id"), ("contactid", "customerid", "kithid")),
    F("contact_name", gettext_lazy("Contact's name"), ("contactname", "customername", "customer", "client", "tenkhachhang", "客户", "客户名称")),
)  # fmt: skip
# A social or chat handle ("@lan.nguyen", a profile URL): how mentions and chats name people.
CONTACT_HANDLE_FIELD = F(
    "contact_handle", gettext_lazy("Contact's handle"),
    ("handle", "username", "user", "author", "from", "sender", "screenname", "profile"),
)  # fmt: skip
_REF_KINDS: dict[str, str] = {
    "contact_email": ContactPoint.Kind.EMAIL,
    "contact_phone": ContactPoint.Kind.PHONE,
    "contact_handle": ContactPoint.Kind.SOCIAL,
}


def contact_ref_check(cells: Cells, item: Checked) -> None:
    """The contact a row names, normalised for contact_refs_resolve: item.values["contact_ref"]
    = ("contact_id" | "contact_email" | "contact_phone" | "contact_handle", value, column), or
    a problem. The contact's name, when mapped, is kept as values["contact_name"]: a row whose
    contact is not found by those is attached to a contact of a similar name when the import
    says so (ImportContext.contact_match)."""
    if cells.get("contact_name"):
        item.values["contact_name"] = cells.text("contact_name", 200)
    for name, normalise in (
        ("contact_id", None),
        ("contact_email", email_normalise),
        ("contact_phone", phone_normalise),
        ("contact_handle", social_normalise),
    ):
        raw = cells.get(name)
        if not raw:
            continue
        if normalise is None:
            if not raw.isdigit():
                cells.fail(name, _("A contact id is a number."))
                return
            value = raw
        else:
            try:
                value = normalise(raw)
            except ValueError as exc:
                cells.fail(name, str(exc))
                return
        item.values["contact_ref"] = (name, value, cells.column(name))
        return
    if "contact_name" in item.values:
        item.values["contact_ref"] = ("contact_name", "", cells.column("contact_name"))
        return
    cells.fail("contact_email", _("Say whose it is: map a column to the contact's email or id."))


def contact_refs_resolve(ctx: ImportContext, items: list[Checked]) -> None:
    """Put the contact id each row names (by Kith id, email or phone, among contacts `by` may
    see) in values["contact_id"], or a problem naming the column."""
    refs = [(item, item.values["contact_ref"]) for item in items if "contact_ref" in item.values]
    wanted = {(_REF_KINDS[name], value) for _i, (name, value, _c) in refs if name in _REF_KINDS}
    owners = points_owners(ctx.by, wanted)
    ids = sorted({int(value) for _i, (name, value, _c) in refs if name == "contact_id"})
    visible: set[int] = set(owners.values())
    scope = visible_to(Contact.objects.all(), user=ctx.by, module="contacts")
    for start in range(0, len(ids), 500):
        visible.update(scope.filter(pk__in=ids[start : start + 500]).values_list("pk", flat=True))
    what = {
        "contact_id": _("id"),
        "contact_email": _("email"),
        "contact_phone": _("phone"),
        "contact_handle": _("handle"),
        "contact_name": _("name"),
    }
    for item, (name, value, column) in refs:
        if name == "contact_id":
            contact_id = int(value)
        else:
            contact_id = owners.get((_REF_KINDS[name], value), 0) if name in _REF_KINDS else 0
        if contact_id not in visible and ctx.contact_match and item.values.get("contact_name"):
            # Not found by its keys: the contact with a similar name, when the import says so.
            matched = ctx.contact_match(item.values["contact_name"])
            if matched:  # visible: the match is among the contacts `by` may see
                contact_id = matched
                visible.add(matched)
        if contact_id in visible:
            item.values["contact_id"] = contact_id
        else:
            # First, as the row's other problems come after whose row it is.
            item.problems.insert(
                0, (column, _("No contact you can see has this %(what)s.") % {"what": what[name]})
            )
