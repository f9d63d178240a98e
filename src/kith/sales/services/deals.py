"""Writes of deals: create, update, move between stages, delete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.events import change_event_record, event_record
from kith.core.text import clean
from kith.core.validation import currency_clean, text_clean, unknown_fields_check, version_check
from kith.customers.models import Company, Contact
from kith.identity.access import for_write, owner_resolve, require, visible_to
from kith.identity.models import User
from kith.sales.models import Deal, DealContact, DealStageChange, Pipeline, Product, Stage

DEAL_FIELDS = frozenset(
    {
        "name", "amount_minor", "currency", "probability", "expected_close", "company_id",
        "contact_ids", "product_ids", "lost_reason", "owner_id",
    }
)  # fmt: skip


def _deal_snapshot(deal: Deal) -> dict[str, str]:
    return {
        "name": deal.name,
        "stage": deal.stage.name if deal.stage_id else "",
        "amount": deal.amount_display,
        "probability": str(deal.probability),
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else "",
        "company": str(deal.company_id or ""),
        "lost_reason": deal.lost_reason,
        "owner": str(deal.owner) if deal.owner_id else "",
    }


def _deal_links_snapshot(deal: Deal) -> dict[str, str]:
    """The deal's contacts (as ids: history is shown to whoever sees the deal, who may not
    see every contact) and products (by SKU)."""
    contacts = DealContact.objects.filter(deal=deal).order_by("contact_id")
    return {
        "contacts": ", ".join(f"#{pk}" for pk in contacts.values_list("contact_id", flat=True)),
        "products": ", ".join(deal.products.order_by("sku").values_list("sku", flat=True)),
    }


def _deal_apply(
    *, by: User, deal: Deal, changes: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, list[int] | None]:
    """Validate and set the deal fields named in `changes` (problems go into `errors`); returns
    the contact and product ids to link (None: unchanged)."""
    _deal_text_apply(deal, changes, errors)
    _deal_money_apply(deal, changes, errors)
    _deal_company_owner_apply(by, deal, changes, errors)
    return {
        "contact_ids": _deal_contacts_check(by, deal, changes["contact_ids"], errors)
        if "contact_ids" in changes
        else None,
        "product_ids": _deal_products_check(changes["product_ids"], errors)
        if "product_ids" in changes
        else None,
    }


def _deal_text_apply(deal: Deal, changes: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "name" in changes:
        deal.name = text_clean(
            changes["name"], field="name", limit=200, errors=errors, required=True
        )
    if "lost_reason" in changes:
        deal.lost_reason = text_clean(
            changes["lost_reason"], field="lost_reason", limit=200, errors=errors
        )
    if "expected_close" in changes:
        value = changes["expected_close"]
        if isinstance(value, str) and value:
            try:
                value = date.fromisoformat(value)
            except ValueError:
                errors["expected_close"] = _("Enter a date as YYYY-MM-DD.")
                value = None
        deal.expected_close = value or None


def _deal_money_apply(deal: Deal, changes: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "currency" in changes:
        deal.currency = currency_clean(changes["currency"], field="currency", errors=errors)
    if "amount_minor" in changes:
        try:
            deal.amount_minor = int(changes["amount_minor"] or 0)
        except (TypeError, ValueError):
            errors["amount_minor"] = _("Enter a whole number of minor units.")
        if deal.amount_minor < 0:
            errors["amount_minor"] = _("The amount cannot be negative.")
    if "probability" in changes and changes["probability"] is not None:
        try:
            deal.probability = int(changes["probability"])
        except (TypeError, ValueError):
            deal.probability = -1
        if not 0 <= deal.probability <= 100:
            errors["probability"] = _("Use a percentage from 0 to 100.")


def _deal_company_owner_apply(
    by: User, deal: Deal, changes: Mapping[str, Any], errors: dict[str, str]
) -> None:
    if "company_id" in changes:
        company_id = changes["company_id"]
        deal.company = None
        if company_id:
            company = (
                visible_to(Company.objects.all(), user=by, module="companies")
                .filter(pk=company_id)
                .first()
            )
            if company is None:
                errors["company_id"] = _("This company does not exist or is not visible to you.")
            deal.company = company
    if "owner_id" in changes:
        owner = owner_resolve(by=by, owner_id=changes["owner_id"], module="deals", errors=errors)
        deal.owner, deal.team_id = owner, owner.team_id


def _deal_contacts_check(by: User, deal: Deal, wanted: Any, errors: dict[str, str]) -> list[int]:
    """The contact ids to link: the visible ones asked for, plus the linked ones `by` cannot
    see (they were not on the form, so they stay)."""
    ids = list(dict.fromkeys(int(i) for i in wanted or ()))
    found = set(
        visible_to(Contact.objects.filter(pk__in=ids), user=by, module="contacts").values_list(
            "pk", flat=True
        )
    )
    if set(ids) - found:
        errors["contact_ids"] = _("A contact does not exist or is not visible to you.")
    if deal.pk:
        linked = DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)
        seen = visible_to(
            Contact.objects.filter(pk__in=linked), user=by, module="contacts"
        ).values_list("pk", flat=True)
        ids += sorted(set(linked) - set(seen) - set(ids))
    return ids


def _deal_products_check(wanted: Any, errors: dict[str, str]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in wanted or ()))
    if Product.objects.filter(pk__in=ids).count() != len(ids):
        errors["product_ids"] = _("A product does not exist.")
    return ids


def _deal_related_save(deal: Deal, related: Mapping[str, list[int] | None]) -> None:
    if related["contact_ids"] is not None:
        DealContact.objects.filter(deal=deal).delete()
        DealContact.objects.bulk_create(
            [DealContact(deal=deal, contact_id=i) for i in related["contact_ids"]]
        )
    if related["product_ids"] is not None:
        deal.products.set(related["product_ids"])


@transaction.atomic
def deal_create(
    *,
    by: User,
    name: str,
    pipeline_id: int,
    stage_id: int | None = None,
    amount_minor: int = 0,
    currency: str = "",
    probability: int | None = None,
    expected_close: date | str | None = None,
    company_id: int | None = None,
    contact_ids: Iterable[int] = (),
    product_ids: Iterable[int] = (),
    owner_id: int | None = None,
) -> Deal:
    """Create a deal in a stage (default: the pipeline's first); probability defaults to the
    stage's."""
    require(by, "deals", "create")
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise FieldError.one("pipeline_id", _("Choose a pipeline."))
    stages = Stage.objects.filter(pipeline=pipeline)
    stage = stages.filter(pk=stage_id).first() if stage_id else stages.order_by("position").first()
    if stage is None:
        raise FieldError.one("stage_id", _("Choose a stage of this pipeline."))
    now = timezone.now()
    deal = Deal(
        pipeline=pipeline,
        stage=stage,
        outcome=stage.outcome,
        probability=stage.probability,
        currency=pipeline.currency,
        stage_entered_at=now,
        closed_at=now if stage.outcome != Stage.Outcome.OPEN else None,
    )
    errors: dict[str, str] = {}
    related = _deal_apply(
        by=by,
        deal=deal,
        changes={
            "name": name, "amount_minor": amount_minor, "currency": currency or pipeline.currency,
            "probability": probability, "expected_close": expected_close,
            "company_id": company_id, "contact_ids": list(contact_ids),
            "product_ids": list(product_ids), "owner_id": owner_id,
        },
        errors=errors,
    )  # fmt: skip
    if errors:
        raise FieldError(errors)
    deal.save()
    _deal_related_save(deal, related)
    DealStageChange.objects.create(deal=deal, from_stage=None, to_stage=stage, at=now, by=by)
    history = changes_record(instance=deal, actor=by, before=None, after={})
    change_event_record(
        entity="deal", record=deal, actor=by, changes=history,
        payload={"pipeline_id": deal.pipeline_id, "stage_id": stage.pk},
    )  # fmt: skip
    return deal


@transaction.atomic
def deal_update(*, by: User, deal_id: int, version: int | None = None, **changes: Any) -> Deal:
    """Change the named fields of a deal (not its stage: see deal_move)."""
    unknown_fields_check(changes, DEAL_FIELDS)
    deal = for_write(Deal, module="deals", by=by, pk=deal_id, right="edit")
    version_check(deal, version)
    before = _deal_snapshot(deal) | _deal_links_snapshot(deal)
    errors: dict[str, str] = {}
    related = _deal_apply(by=by, deal=deal, changes=changes, errors=errors)
    if errors:
        raise FieldError(errors)
    deal.version += 1
    deal.save()
    _deal_related_save(deal, related)
    after = _deal_snapshot(deal) | _deal_links_snapshot(deal)
    history = changes_record(instance=deal, actor=by, before=before, after=after)
    change_event_record(entity="deal", record=deal, actor=by, changes=history)
    return deal


@transaction.atomic
def deal_move(
    *, by: User, deal_id: int, stage_id: int, lost_reason: str = "", now: datetime | None = None
) -> Deal:
    """Move a deal to another stage of its pipeline: records the stage change with the time
    spent in the old stage, takes the new stage's probability and closes won/lost deals. A
    lost stage needs the `lost_reason`."""
    deal = for_write(Deal, module="deals", by=by, pk=deal_id, right="edit")
    stage = Stage.objects.filter(pk=stage_id, pipeline_id=deal.pipeline_id).first()
    if stage is None:
        raise FieldError.one("stage_id", _("Choose a stage of this deal's pipeline."))
    if stage.pk == deal.stage_id:
        return deal
    if stage.outcome == Stage.Outcome.LOST and not clean(lost_reason):
        raise FieldError.one("lost_reason", _("Say why the deal was lost."))
    now = now or timezone.now()
    before = _deal_snapshot(deal)
    old_stage = deal.stage
    seconds = int((now - deal.stage_entered_at).total_seconds()) if deal.stage_entered_at else None
    DealStageChange.objects.create(
        deal=deal, from_stage=old_stage, to_stage=stage, seconds_in_from=seconds, at=now, by=by
    )
    deal.stage, deal.outcome = stage, stage.outcome
    deal.probability = stage.probability
    deal.stage_entered_at = now
    deal.closed_at = now if stage.outcome != Stage.Outcome.OPEN else None
    if stage.outcome == Stage.Outcome.LOST:
        deal.lost_reason = clean(lost_reason)[:200]
    else:
        deal.lost_reason = ""
    deal.version += 1
    deal.save()
    changes_record(instance=deal, actor=by, before=before, after=_deal_snapshot(deal))
    _deal_move_events(deal=deal, by=by, from_stage=old_stage)
    if deal.owner_id != by.pk:
        transaction.on_commit(lambda: _notify_owner(deal=deal, by=by))
    return deal


def _deal_move_events(*, deal: Deal, by: User, from_stage: Stage) -> None:
    """deal.stage_changed, and deal.won / deal.lost when the move closed it."""
    moved = {
        "from_stage": from_stage.pk,
        "to_stage": deal.stage_id,
        "pipeline_id": deal.pipeline_id,
    }
    event_record(name="deal.stage_changed", record=deal, actor=by, payload=moved)
    if deal.outcome == Stage.Outcome.WON:
        event_record(
            name="deal.won",
            record=deal,
            actor=by,
            payload={"amount_minor": deal.amount_minor, "currency": deal.currency},
        )
    elif deal.outcome == Stage.Outcome.LOST:
        event_record(name="deal.lost", record=deal, actor=by, payload={"reason": deal.lost_reason})


def _notify_owner(*, deal: Deal, by: User) -> None:
    """Tell the owner someone else moved their deal (engagement's notifications, when present)."""
    try:
        from kith.engagement.services import notification_create  # type: ignore[attr-defined]
    except ImportError:
        return
    notification_create(
        recipient=deal.owner,
        kind="deal_moved",
        text=_("%(user)s moved %(deal)s to %(stage)s")
        % {"user": str(by), "deal": deal.name, "stage": deal.stage.name},
        url=f"/deals/{deal.pk}/",
        actor=by,
        record_model="sales.deal",
        record_id=deal.pk,
    )


@transaction.atomic
def deal_delete(*, by: User, deal_id: int) -> None:
    """Delete a deal; its history keeps the last values."""
    deal = for_write(Deal, module="deals", by=by, pk=deal_id, right="delete")
    history = changes_record(instance=deal, actor=by, before=_deal_snapshot(deal), after=None)
    change_event_record(entity="deal", record=deal, actor=by, changes=history)
    deal.delete()
