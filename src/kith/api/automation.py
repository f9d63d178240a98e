"""API v1 of automation (administrators only): rules with their test run and runs, webhook
subscriptions (the secret is in the answer to the create call, and never again), the delivery
log with each delivery's attempts, and manual redelivery. Reads go through
kith.automation.selectors and writes through kith.automation.services.

Webhook bodies (schema version 1) are documented in the README ("Automation and webhooks")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, ErrorOut, Ref, user_ref
from kith.automation import selectors, services
from kith.automation.models import Delivery, Rule, RuleRun

router = Router(tags=["automation"])

MAX_PAGE_SIZE = 200
NOT_SENT: Any = None


class RuleOut(Schema):
    id: int
    name: str
    trigger: str
    trigger_field: str
    trigger_days: int
    trigger_threshold: float | None
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    owner: Ref
    is_active: bool
    failure_count: int
    paused_at: datetime | None
    paused_reason: str
    version: int

    @staticmethod
    def resolve_owner(rule: Rule) -> dict[str, Any]:
        return user_ref(rule.owner)


class RuleIn(Schema):
    name: str
    trigger: str = Field(
        ..., description="an event name (deal.won, score.crossed), date.birthday, … or schedule"
    )
    trigger_field: str = Field(
        "", description="the changed field, date field, score (churn_risk) or schedule (every 2h)"
    )
    trigger_days: int = 0
    trigger_threshold: float | None = Field(None, description="score.crossed: the threshold")
    conditions: dict[str, Any] = Field(default_factory=dict)
    actions: list[dict[str, Any]]
    owner_id: int | None = None
    is_active: bool = True


class RulePatch(Schema):
    version: int
    name: str = NOT_SENT
    trigger: str = NOT_SENT
    trigger_field: str = NOT_SENT
    trigger_days: int = NOT_SENT
    trigger_threshold: float | None = NOT_SENT
    conditions: dict[str, Any] = NOT_SENT
    actions: list[dict[str, Any]] = NOT_SENT
    owner_id: int = NOT_SENT
    is_active: bool = NOT_SENT


class RuleTestIn(Schema):
    record_id: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict, description="stands in for the event's")


class RuleTestOut(Schema):
    conditions_met: bool
    steps: list[dict[str, str]]


class StepOut(Schema):
    index: int
    action: str
    status: str
    detail: str
    at: datetime


class RunOut(Schema):
    id: int
    rule_id: int
    cause: str
    event_name: str
    record_model: str
    record_id: int | None
    depth: int
    status: str
    next_step: int
    resume_at: datetime | None
    error: str
    created_at: datetime
    finished_at: datetime | None


class RunDetailOut(RunOut):
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(run: RuleRun) -> list[Any]:
        return list(run.steps.all())


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None
    prev_cursor: str | None


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    status: str = ""


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    failure_count: int
    disabled_at: datetime | None
    disabled_reason: str
    created_at: datetime


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(..., description="the signing secret; shown only in this answer")


class SubscriptionIn(Schema):
    name: str
    url: str
    events: list[str] = Field(..., description='event names, or ["*"] for every event')


class SubscriptionPatch(Schema):
    name: str = NOT_SENT
    url: str = NOT_SENT
    events: list[str] = NOT_SENT
    is_active: bool = NOT_SENT


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: int
    event_name: str
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    response_code: int | None
    response_ms: int | None
    error: str
    created_at: datetime
    delivered_at: datetime | None

    @staticmethod
    def resolve_next_attempt_at(delivery: Delivery) -> datetime | None:
        return delivery.next_attempt_at if delivery.status == Delivery.Status.PENDING else None


class AttemptOut(Schema):
    at: datetime
    response_code: int | None
    response_ms: int | None
    error: str


class DeliveryDetailOut(DeliveryOut):
    body: str
    attempts_log: list[AttemptOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None
    prev_cursor: str | None


def _page(page: Any) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@router.get("/automation/rules", response={200: list[RuleOut], **ERRORS})
def rules_list(request: ApiRequest) -> Any:
    """Every rule, by name."""
    return selectors.rules_list(user=request.auth)


@router.post("/automation/rules", response={201: RuleOut, **ERRORS})
def rule_create(request: ApiRequest, payload: RuleIn) -> Any:
    rule = services.rule_create(by=request.auth, **payload.model_dump())
    return Status(201, selectors.rule_get(user=request.auth, rule_id=rule.pk))


@router.get("/automation/rules/{int:rule_id}", response={200: RuleOut, **ERRORS})
def rule_detail(request: ApiRequest, rule_id: int) -> Any:
    return selectors.rule_get(user=request.auth, rule_id=rule_id)


@router.patch("/automation/rules/{int:rule_id}", response={200: RuleOut, 409: ErrorOut, **ERRORS})
def rule_update(request: ApiRequest, rule_id: int, payload: RulePatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    services.rule_update(by=request.auth, rule_id=rule_id, version=version, **changes)
    return selectors.rule_get(user=request.auth, rule_id=rule_id)


@router.delete("/automation/rules/{int:rule_id}", response={204: None, **ERRORS})
def rule_delete(request: ApiRequest, rule_id: int) -> Any:
    services.rule_delete(by=request.auth, rule_id=rule_id)
    return Status(204, None)


@router.post("/automation/rules/{int:rule_id}/test", response={200: RuleTestOut, **ERRORS})
def rule_test(request: ApiRequest, rule_id: int, payload: RuleTestIn) -> Any:
    """What the rule would do for a record, step by step, without doing it."""
    return services.rule_test(
        by=request.auth, rule_id=rule_id, record_id=payload.record_id, payload=payload.payload
    )


@router.get("/automation/rules/{int:rule_id}/runs", response={200: RunPage, **ERRORS})
def rule_runs(request: ApiRequest, rule_id: int, params: Query[PageParams]) -> Any:
    selectors.rule_get(user=request.auth, rule_id=rule_id)
    page = selectors.runs_list(
        user=request.auth,
        rule_id=rule_id,
        status=params.status,
        cursor=params.cursor,
        limit=params.limit,
    )
    return _page(page)


@router.get("/automation/runs", response={200: RunPage, **ERRORS})
def runs_list(request: ApiRequest, params: Query[PageParams]) -> Any:
    """Every rule's runs, newest first."""
    page = selectors.runs_list(
        user=request.auth, status=params.status, cursor=params.cursor, limit=params.limit
    )
    return _page(page)


@router.get("/automation/runs/{int:run_id}", response={200: RunDetailOut, **ERRORS})
def run_detail(request: ApiRequest, run_id: int) -> Any:
    """A run with what each step did."""
    return selectors.run_get(user=request.auth, run_id=run_id)


@router.get("/automation/subscriptions", response={200: list[SubscriptionOut], **ERRORS})
def subscriptions_list(request: ApiRequest) -> Any:
    return selectors.subscriptions_list(user=request.auth)


@router.post("/automation/subscriptions", response={201: SubscriptionCreatedOut, **ERRORS})
def subscription_create(request: ApiRequest, payload: SubscriptionIn) -> Any:
    """Subscribe a URL to events; the answer holds the signing secret, shown only here."""
    subscription, secret = services.subscription_create(by=request.auth, **payload.model_dump())
    subscription.secret = secret
    return Status(201, subscription)


@router.patch(
    "/automation/subscriptions/{int:subscription_id}", response={200: SubscriptionOut, **ERRORS}
)
def subscription_update(
    request: ApiRequest, subscription_id: int, payload: SubscriptionPatch
) -> Any:
    return services.subscription_update(
        by=request.auth,
        subscription_id=subscription_id,
        **payload.model_dump(exclude_unset=True),
    )


@router.delete("/automation/subscriptions/{int:subscription_id}", response={204: None, **ERRORS})
def subscription_delete(request: ApiRequest, subscription_id: int) -> Any:
    services.subscription_delete(by=request.auth, subscription_id=subscription_id)
    return Status(204, None)


@router.get("/automation/deliveries", response={200: DeliveryPage, **ERRORS})
def deliveries_list(
    request: ApiRequest, params: Query[PageParams], subscription_id: int | None = None
) -> Any:
    """The delivery log, newest first (filter by subscription_id and status)."""
    page = selectors.deliveries_list(
        user=request.auth,
        subscription_id=subscription_id,
        status=params.status,
        cursor=params.cursor,
        limit=params.limit,
    )
    return _page(page)


@router.get("/automation/deliveries/{int:delivery_id}", response={200: DeliveryDetailOut, **ERRORS})
def delivery_detail(request: ApiRequest, delivery_id: int) -> Any:
    """A delivery with its body and every attempt (status code, response time, error)."""
    delivery = selectors.delivery_get(user=request.auth, delivery_id=delivery_id)
    delivery.attempts_log = selectors.delivery_attempts(  # type: ignore[attr-defined]
        user=request.auth, delivery_id=delivery_id
    )
    return delivery


@router.post(
    "/automation/deliveries/{int:delivery_id}/redeliver", response={200: DeliveryOut, **ERRORS}
)
def delivery_redeliver(request: ApiRequest, delivery_id: int) -> Any:
    """Send a delivery again (with a new 24-hour retry window)."""
    return services.delivery_redeliver(by=request.auth, delivery_id=delivery_id)
