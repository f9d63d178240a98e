"""Duplicate detection over the contact base: the batch run (splink) and the on-entry check
(indexed blocking + rapidfuzz)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz

from kith.core.text import fold
from kith.customers.models import Contact, ContactPoint
from kith.customers.normalise import email_normalise, phone_national_digits, phone_normalise
from kith.identity.access import require, scope_key, visible_to
from kith.identity.models import User
from kith.intake.company_names import company_key, company_key_ordered
from kith.intake.matching import DedupeResult
from kith.intake.matching import dedupe as dedupe_records
from kith.intake.models import DedupeRun, DuplicatePair

_BATCH = 5000


def contact_records(queryset: Any) -> list[dict[str, Any]]:
    """Contacts as matching records (role -> value), read in bulk without model instances."""
    rows = queryset.values_list(
        "id", "first_key", "last_key", "full_name", "primary_email", "primary_phone"
    ).order_by("id")
    return [
        {
            "id": str(pk),
            "first_name": first,
            "last_name": last,
            "full_name": full,
            "email": email,
            "phone": phone_national_digits(phone) if phone else "",
        }
        for pk, first, last, full, email, phone in rows.iterator(chunk_size=_BATCH)
    ]


def dedupe_run_contacts(*, by: User | None, threshold: float = 0.9) -> DedupeRun:
    """Score every contact `by` may see (all of them when `by` is None: the CLI) for duplicates
    and store the pairs by cluster for review. Earlier open pairs of the same scope (every
    contact, one team's, one owner's) are replaced; other scopes' runs stay as they were."""
    if by is not None:
        require(by, "contacts", "edit")
        queryset = visible_to(Contact.objects.all(), user=by, module="contacts")
        scope = scope_key(by, "contacts")
    else:
        queryset = Contact.objects.all()
        scope = "all"
    run = DedupeRun.objects.create(threshold=threshold, started_by=by, scope=scope)
    records = contact_records(queryset)
    try:
        result = (
            dedupe_records(records, threshold=threshold)
            if len(records) > 1
            else DedupeResult([], [], len(records), [])
        )
    except Exception as exc:
        run.status = DedupeRun.Status.FAILED
        run.message = str(exc)[:2000]
        run.finished_at = timezone.now()
        run.save()
        raise
    cluster_of = {pk: n for n, cluster in enumerate(result.clusters, start=1) for pk in cluster}
    with transaction.atomic():
        DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN, run__scope=scope).exclude(
            run=run
        ).delete()
        DuplicatePair.objects.bulk_create(
            [
                DuplicatePair(
                    run=run,
                    cluster=cluster_of[p.a],
                    contact_a=int(p.a),
                    contact_b=int(p.b),
                    probability=p.probability,
                    evidence=p.evidence,
                )
                for p in result.pairs
            ],
            batch_size=2000,
        )
        run.status = DedupeRun.Status.DONE
        run.record_count = result.record_count
        run.pair_count = len(result.pairs)
        run.cluster_count = len(result.clusters)
        run.finished_at = timezone.now()
        run.save()
    return run


def dedupe_run_latest_for(*, user: User) -> DedupeRun | None:
    """The duplicate search to show `user`: the latest finished run over exactly their
    contacts, else the latest company-wide run (its pairs are then filtered to what they may
    see, and its counts are not theirs: see dedupe_summary_for)."""
    runs = DedupeRun.objects.order_by("-pk")
    return (
        runs.filter(scope=scope_key(user, "contacts")).first() or runs.filter(scope="all").first()
    )


# --- on entry ---------------------------------------------------------------------------------


@dataclass
class Candidate:
    record: Any  # a Contact or a Company
    score: float  # 0-100
    reasons: list[str]


def _name_score(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


def contact_duplicates_find(
    *,
    user: User,
    first_name: str = "",
    last_name: str = "",
    full_name: str = "",
    emails: list[str] | tuple[str, ...] = (),
    phones: list[str] | tuple[str, ...] = (),
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """Contacts `user` may see that are likely the person being entered, best first.

    Candidates come from indexed lookups only (email and phone points, first/last name keys,
    the folded full name), at most a few hundred; rapidfuzz scores the names. An email or
    phone in common is strong evidence (score >= 90); a similar name alone scores its
    similarity, shown from 85.
    """
    email_keys: set[str] = set()
    for raw in emails:
        try:
            email_keys.add(email_normalise(raw))
        except ValueError:
            continue
    phone_keys: set[str] = set()
    for raw in phones:
        try:
            phone_keys.add(phone_normalise(raw))
        except ValueError:
            continue
    first, last = fold(first_name), fold(last_name)
    full = fold(full_name) or fold(f"{first_name} {last_name}")
    if not (email_keys or phone_keys or full or first or last):
        return []
    visible = visible_to(Contact.objects.all(), user=user, module="contacts")
    if exclude_id is not None:
        visible = visible.exclude(pk=exclude_id)
    ids: set[int] = set()
    point_match = Q()
    if email_keys:
        point_match |= Q(kind=ContactPoint.Kind.EMAIL, value__in=email_keys)
    if phone_keys:
        point_match |= Q(kind=ContactPoint.Kind.PHONE, value__in=phone_keys)
    by_point: dict[int, set[str]] = {}
    if point_match:
        for contact_id, kind in ContactPoint.objects.filter(point_match).values_list(
            "contact_id", "kind"
        )[:200]:
            by_point.setdefault(contact_id, set()).add(kind)
            ids.add(contact_id)
    # One small query per key on the sort_name index (an OR of them, or the single-column
    # first/last key indexes, make SQLite read thousands of rows for a common name): sort_name
    # is "family given" folded ("lee ann", "nguyen van an") or the CJK name as written
    # ("王伟"), so the family name plus the given name's first letter is one index range, both
    # ways round (a swapped first/last name).
    lookups: list[Q] = []
    if first and last:
        for prefix in (f"{last} {first[:1]}", f"{first} {last[:1]}"):
            lookups.append(Q(sort_name__gte=prefix, sort_name__lt=prefix + "\uffff"))
    if full:
        lookups.append(Q(sort_name=full))
        compact = full.replace(" ", "")
        if compact != full:
            lookups.append(Q(sort_name=compact))
    if not lookups and (first or last):
        key = last or first
        lookups.append(Q(sort_name__gte=key, sort_name__lt=key + "\uffff"))
    for lookup in lookups:
        ids.update(visible.filter(lookup).values_list("pk", flat=True)[:50])
    if not ids:
        return []
    candidates = []
    for contact in visible.filter(pk__in=ids).only(
        "id", "full_name", "first_key", "last_key", "primary_email", "primary_phone"
    ):
        reasons = []
        kinds = by_point.get(contact.pk, set())
        score = _name_score(full, fold(contact.full_name))
        if first or last:
            score = max(
                score,
                _name_score(f"{first} {last}".strip(), f"{contact.first_key} {contact.last_key}"),
            )
        if score >= 85:
            reasons.append("name")
        if ContactPoint.Kind.EMAIL in kinds:
            reasons.append("email")
            score = max(score, 90.0) + 5
        if ContactPoint.Kind.PHONE in kinds:
            reasons.append("phone")
            score = max(score, 90.0) + 3
        if reasons:
            candidates.append(Candidate(record=contact, score=min(score, 100.0), reasons=reasons))
    candidates.sort(key=lambda c: (-c.score, c.record.pk))
    return candidates[:limit]


def company_duplicates_find(
    *, user: User, name: str = "", domain: str = "", exclude_id: int | None = None, limit: int = 5
) -> list[Candidate]:
    """Companies `user` may see that are likely the one being entered: the same domain, or a
    name that starts like it (indexed sort_name prefix) and scores >= 85 with rapidfuzz."""
    from kith.customers.models import Company
    from kith.customers.normalise import domain_normalise
    from kith.customers.search import search_ids, search_terms

    key = fold(name)
    try:
        domain_key = domain_normalise(domain) if domain else ""
    except ValueError:
        domain_key = ""
    if not key and not domain_key:
        return []
    visible = visible_to(Company.objects.all(), user=user, module="companies")
    if exclude_id is not None:
        visible = visible.exclude(pk=exclude_id)
    match = Q()
    if domain_key:
        match |= Q(domain=domain_key)
    if len(key) >= 2:
        match |= Q(sort_name__startswith=key[:4])
    core = company_key(name)
    # The words that name the company, through the search index: "The Blue Harbor Inc." and
    # "Sao Mai Co., Ltd" find "Blue Harbor" and "Công ty TNHH Sao Mai".
    terms = search_terms(company_key_ordered(name))
    if not terms.empty:
        found = search_ids(Company, visible, terms, prefix_fields=("sort_name",), limit=50)
        match |= Q(pk__in=found)
    candidates = []
    for company in visible.filter(match).only("id", "name", "domain", "sort_name")[:200]:
        reasons = []
        score = (
            max(
                float(fuzz.token_sort_ratio(key, company.sort_name)),
                float(fuzz.ratio(core, company_key(company.name))),
            )
            if key
            else 0.0
        )
        if score >= 85:
            reasons.append("name")
        if domain_key and company.domain == domain_key:
            reasons.append("domain")
            score = max(score, 90.0) + 5
        if reasons:
            candidates.append(Candidate(record=company, score=min(score, 100.0), reasons=reasons))
    candidates.sort(key=lambda c: (-c.score, c.record.pk))
    return candidates[:limit]
