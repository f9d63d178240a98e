"""A contact's relationship network as a graph (nodes and edges) for the network view:
contact-to-contact relationships (referrals, colleagues, family, …), the loyalty referrals,
and the company hierarchy; only contacts and companies the user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from kith.customers.models import Company, Contact, Relationship
from kith.identity.access import require, visible_to
from kith.identity.models import User
from kith.loyalty.models import Membership

MAX_NODES = 150


@dataclass
class Network:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


def contact_network(*, user: User, contact: Contact, depth: int = 2) -> Network:
    """The graph around a visible contact, `depth` hops over contact relationships and
    referrals, plus each shown contact's company with its parent and subsidiaries. One query
    per hop and kind, at most MAX_NODES contacts."""
    require(user, "loyalty", "read")
    visible = visible_to(Contact.objects.all(), user=user, module="contacts")
    names: dict[int, tuple[str, int | None]] = {contact.pk: (contact.full_name, contact.company_id)}
    edges: set[tuple[str, str, str]] = set()
    frontier, truncated = {contact.pk}, False
    for _hop in range(depth):
        links = Relationship.objects.filter(
            Q(from_contact_id__in=frontier) | Q(to_contact_id__in=frontier)
        ).values_list("from_contact_id", "to_contact_id", "kind")
        referrals = Membership.objects.filter(
            Q(contact_id__in=frontier, referred_by__isnull=False)
            | Q(referred_by__contact_id__in=frontier)
        ).values_list("contact_id", "referred_by__contact_id")
        pairs = [(a, b, kind) for a, b, kind in links]
        pairs += [(a, b, Relationship.Kind.REFERRED_BY) for a, b in referrals if a and b]
        wanted = {pk for a, b, _kind in pairs for pk in (a, b)} - names.keys()
        found = dict(
            (pk, (name, company))
            for pk, name, company in visible.filter(pk__in=wanted).values_list(
                "pk", "full_name", "company_id"
            )[: MAX_NODES - len(names) + 1]
        )
        if len(names) + len(found) > MAX_NODES:
            truncated = True
            found = dict(list(found.items())[: MAX_NODES - len(names)])
        names.update(found)
        for a, b, kind in pairs:
            if a in names and b in names:
                edges.add((f"p{a}", f"p{b}", str(kind)))
        frontier = set(found)
        if not frontier or truncated:
            break
    labels = dict(Relationship.Kind.choices)
    network = Network(truncated=truncated)
    for pk, (name, _company) in names.items():
        network.nodes.append(
            {"id": f"p{pk}", "label": name, "kind": "contact", "root": pk == contact.pk}
        )
    company_ids = {company for _name, company in names.values() if company}
    companies = visible_to(Company.objects.all(), user=user, module="companies")
    shown = list(
        companies.filter(
            Q(pk__in=company_ids) | Q(parent_id__in=company_ids) | Q(subsidiaries__in=company_ids)
        )
        .distinct()
        .values_list("pk", "name", "parent_id")
    )
    shown_ids = {pk for pk, _name, _parent in shown}
    for pk, name, parent in shown:
        network.nodes.append({"id": f"c{pk}", "label": name, "kind": "company", "root": False})
        if parent in shown_ids:
            edges.add((f"c{pk}", f"c{parent}", "subsidiary"))
    for pk, (_name, company) in names.items():
        if company in shown_ids:
            edges.add((f"p{pk}", f"c{company}", "works_at"))
    extra = {"subsidiary": _("subsidiary of"), "works_at": _("works at")}
    for source, target, kind in sorted(edges):
        network.edges.append(
            {"source": source, "target": target, "kind": kind,
             "label": str(labels.get(kind) or extra.get(kind, kind))}
        )  # fmt: skip
    return network
