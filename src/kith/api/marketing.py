"""API v1: segments (CRUD, live count of rules, members, static-list members), email templates
(versions per language, preview), campaigns (create, start, pause, resume, cancel, A/B winner,
report with funnel and lift) and their recipients. Reads go through kith.marketing.selectors and
writes through kith.marketing.services, which apply the permission gate: a segment or campaign
outside the caller's scope is a 404, and counts cover only the contacts the caller sees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, ErrorOut, Ref, user_ref
from kith.identity.access import require
from kith.marketing import selectors
from kith.marketing.attribution import touch_attribution
from kith.marketing.models import Campaign, CampaignRecipient, EmailTemplate, Segment
from kith.marketing.report import audience_export_report as exposure_report
from kith.marketing.report import campaign_report, channel_segment_report
from kith.marketing.services import audiences, campaigns, segments, templates
from kith.marketing.services.winback import winback_campaign_create

router = Router(tags=["marketing"])

MAX_PAGE_SIZE = 200
NOT_SENT: Any = None


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class MarketingSegmentOut(Schema):
    id: int
    name: str
    kind: str
    rules: dict[str, Any]
    size: int
    refreshed_at: datetime | None
    owner: Ref
    version: int
    created_at: datetime

    @staticmethod
    def resolve_owner(segment: Segment) -> dict[str, Any]:
        return user_ref(segment.owner)


class SegmentPage(Schema):
    items: list[MarketingSegmentOut]
    next_cursor: str | None
    prev_cursor: str | None


class SegmentIn(Schema):
    name: str
    kind: str = Field("dynamic", description="dynamic or static")
    rules: dict[str, Any] = Field(default_factory=dict, description="see kith.marketing.rules")


class SegmentPatch(Schema):
    version: int
    name: str = NOT_SENT
    rules: dict[str, Any] = NOT_SENT


class RulesIn(Schema):
    rules: dict[str, Any]


class SegmentCountOut(Schema):
    count: int
    estimated: bool = False
    margin: int = 0


class ContactRefOut(Schema):
    id: int
    full_name: str
    primary_email: str


class SegmentContactPage(Schema):
    items: list[ContactRefOut]
    next_cursor: str | None
    prev_cursor: str | None


class MembersIn(Schema):
    contact_ids: list[int] = Field(default_factory=list)
    emails: str = Field("", description="addresses, one a line or comma separated (a file's text)")


class MembersOut(Schema):
    added: int
    found: int = 0
    unknown: int = 0


@router.get("/segments", response={200: SegmentPage, **ERRORS}, tags=["segments"])
def segments_list(request: ApiRequest, params: Query[PageParams]) -> Any:
    """Segments the caller sees, by name."""
    page = selectors.segments_list(user=request.auth, cursor=params.cursor, limit=params.limit)
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@router.post("/segments", response={201: MarketingSegmentOut, **ERRORS}, tags=["segments"])
def segment_create(request: ApiRequest, payload: SegmentIn) -> Any:
    segment = segments.segment_create(by=request.auth, **payload.model_dump())
    return Status(201, selectors.segment_get(user=request.auth, segment_id=segment.pk))


@router.get(
    "/segments/{int:segment_id}", response={200: MarketingSegmentOut, **ERRORS}, tags=["segments"]
)
def segment_detail(request: ApiRequest, segment_id: int) -> Any:
    return selectors.segment_get(user=request.auth, segment_id=segment_id)


@router.patch(
    "/segments/{int:segment_id}",
    response={200: MarketingSegmentOut, 409: ErrorOut, **ERRORS},
    tags=["segments"],
)
def segment_update(request: ApiRequest, segment_id: int, payload: SegmentPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    segments.segment_update(
        by=request.auth, segment_id=segment_id, changes=changes, version=version
    )
    return selectors.segment_get(user=request.auth, segment_id=segment_id)


@router.delete("/segments/{int:segment_id}", response={204: None, **ERRORS}, tags=["segments"])
def segment_delete(request: ApiRequest, segment_id: int) -> Any:
    segments.segment_delete(by=request.auth, segment_id=segment_id)
    return Status(204, None)


@router.post("/segments/count", response={200: SegmentCountOut, **ERRORS}, tags=["segments"])
def rules_count(request: ApiRequest, payload: RulesIn, exact: bool = False) -> Any:
    """How many of the contacts the caller sees match these rules now (the live count): exact
    up to 30,000 contacts or with `?exact=true`, else estimated from a sample of the ids with a
    95 % margin (`estimated`, `margin`)."""
    require(request.auth, "marketing", "read")
    live = selectors.rules_live_count(user=request.auth, rules=payload.rules, exact=exact)
    return {"count": live.count, "estimated": live.estimated, "margin": live.margin}


@router.get(
    "/segments/{int:segment_id}/members",
    response={200: SegmentContactPage, **ERRORS},
    tags=["segments"],
)
def segment_members(request: ApiRequest, segment_id: int, params: Query[PageParams]) -> Any:
    """The segment's contacts now that the caller sees, by name."""
    segment = selectors.segment_get(user=request.auth, segment_id=segment_id)
    page = selectors.segment_members(
        user=request.auth, segment=segment, cursor=params.cursor, limit=params.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@router.post(
    "/segments/{int:segment_id}/members", response={200: MembersOut, **ERRORS}, tags=["segments"]
)
def segment_members_add(request: ApiRequest, segment_id: int, payload: MembersIn) -> Any:
    """Add contacts to a static list by id and/or by email address."""
    added = segments.segment_members_add(
        by=request.auth, segment_id=segment_id, contact_ids=payload.contact_ids
    )
    result = {"added": added, "found": 0, "unknown": 0}
    if payload.emails:
        by_email = segments.segment_emails_add(
            by=request.auth, segment_id=segment_id, text=payload.emails
        )
        result = {**by_email, "added": added + by_email["added"]}
    return result


class VersionIn(Schema):
    subject: str
    html: str = ""
    text: str


class TemplateIn(Schema):
    name: str
    versions: dict[str, VersionIn] = Field(..., description="language (en, zh-hans, vi) → parts")


class TemplateOut(Schema):
    id: int
    name: str
    languages: list[str]

    @staticmethod
    def resolve_languages(template: EmailTemplate) -> list[str]:
        return sorted(v.language for v in template.versions.all())


class TemplatePreviewOut(Schema):
    language: str
    subject: str
    html: str
    text: str


@router.get("/email-templates", response={200: list[TemplateOut], **ERRORS}, tags=["campaigns"])
def templates_list(request: ApiRequest) -> Any:
    require(request.auth, "marketing", "read")
    return selectors.templates_list()


@router.post("/email-templates", response={201: TemplateOut, **ERRORS}, tags=["campaigns"])
def template_create(request: ApiRequest, payload: TemplateIn) -> Any:
    versions = {k: v.model_dump() for k, v in payload.versions.items()}
    template = templates.template_create(by=request.auth, name=payload.name, versions=versions)
    return Status(201, template)


@router.get(
    "/email-templates/{int:template_id}/preview",
    response={200: TemplatePreviewOut, **ERRORS},
    tags=["campaigns"],
)
def template_preview(
    request: ApiRequest, template_id: int, contact_id: int, language: str | None = None
) -> Any:
    """The template as this contact would get it (their language unless `language`)."""
    return templates.template_preview(
        by=request.auth, template_id=template_id, contact_id=contact_id, language=language
    )


class CampaignIn(Schema):
    name: str
    template_ids: list[int] = Field(..., description="one per A/B variant (A, B, …)")
    segment_ids: list[int]
    exclusion_ids: list[int] = Field(default_factory=list)
    channel: str = Field(
        "email",
        description="email; sms or chat (through their providers); best: each recipient on "
        "their learned best consented channel",
    )
    purpose: str = "marketing"
    holdout_percent: int = 10
    test_percent: int = 100
    winner_metric: str = "click"
    scheduled_at: datetime | None = None
    rate_per_minute: int = 6000
    attribution_days: int = 7
    from_email: str = ""
    repeat_every_days: int = Field(0, description="recurring: a new run every N days (0: once)")
    repeat_until: datetime | None = None
    ab_test_hours: int = Field(0, description="pick the A/B winner automatically after N hours")
    survey_id: int | None = Field(None, description="a feedback survey: {{ survey_url }}")


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    channel: str
    purpose: str
    holdout_percent: int
    test_percent: int
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    repeat_every_days: int = 0
    next_run_at: datetime | None = None
    ab_test_hours: int = 0
    winner_reason: str = ""
    rate_per_minute: int
    attribution_days: int
    owner: Ref
    created_at: datetime

    @staticmethod
    def resolve_owner(campaign: Campaign) -> dict[str, Any]:
        return user_ref(campaign.owner)


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None
    prev_cursor: str | None


class RecipientOut(Schema):
    id: int
    contact_id: int
    email: str
    language: str
    variant: str | None
    is_holdout: bool
    state: str
    sent_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    bounced_at: datetime | None
    unsubscribed_at: datetime | None

    @staticmethod
    def resolve_variant(recipient: CampaignRecipient) -> str | None:
        return recipient.variant.key if recipient.variant else None


class RecipientPage(Schema):
    items: list[RecipientOut]
    next_cursor: str | None
    prev_cursor: str | None


class RecipientParams(PageParams):
    state: str = Field("", description=", ".join(CampaignRecipient.State.values))


class FunnelOut(Schema):
    group: str
    audience: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    converted: int
    revenue_minor: int
    unsubscribed: int
    bounced: int


class LiftOut(Schema):
    estimate: float
    low: float | None
    high: float | None
    treated: float
    holdout: float
    n_treated: int
    n_holdout: int
    verdict: str


class CampaignReportOut(Schema):
    currency: str
    funnel: list[FunnelOut]
    conversion_lift: LiftOut
    revenue_lift: LiftOut
    verdict: str
    attribution: dict[str, Any] = {}


class WinnerIn(Schema):
    variant_key: str | None = Field(None, description="None: the best on the campaign's metric")


@router.get("/campaigns", response={200: CampaignPage, **ERRORS}, tags=["campaigns"])
def campaigns_list(request: ApiRequest, params: Query[PageParams]) -> Any:
    """Campaigns the caller sees, newest first."""
    page = selectors.campaigns_list(user=request.auth, cursor=params.cursor, limit=params.limit)
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@router.post("/campaigns", response={201: CampaignOut, **ERRORS}, tags=["campaigns"])
def campaign_create(request: ApiRequest, payload: CampaignIn) -> Any:
    campaign = campaigns.campaign_create(by=request.auth, **payload.model_dump())
    return Status(201, selectors.campaign_get(user=request.auth, campaign_id=campaign.pk))


@router.post("/campaigns/winback", response={201: CampaignOut, **ERRORS}, tags=["campaigns"])
def campaign_winback(request: ApiRequest) -> Any:
    """A draft win-back campaign: high churn risk and high CLV, an offer, a 20 % holdout."""
    campaign = winback_campaign_create(by=request.auth)
    return Status(201, selectors.campaign_get(user=request.auth, campaign_id=campaign.pk))


@router.get(
    "/campaigns/{int:campaign_id}", response={200: CampaignOut, **ERRORS}, tags=["campaigns"]
)
def campaign_detail(request: ApiRequest, campaign_id: int) -> Any:
    return selectors.campaign_get(user=request.auth, campaign_id=campaign_id)


def _action(name: str, service: Any, doc: str) -> None:
    def view(request: ApiRequest, campaign_id: int) -> Any:
        service(by=request.auth, campaign_id=campaign_id)
        return selectors.campaign_get(user=request.auth, campaign_id=campaign_id)

    view.__doc__ = doc
    view.__name__ = f"campaign_{name}"
    router.post(
        f"/campaigns/{{int:campaign_id}}/{name}",
        response={200: CampaignOut, **ERRORS},
        tags=["campaigns"],
        operation_id=f"campaign_{name}",
    )(view)


_action("start", campaigns.campaign_start, "Freeze the audience (holdout drawn) and send.")
_action("pause", campaigns.campaign_pause, "Stop handing out new messages.")
_action("resume", campaigns.campaign_resume, "Carry on sending a paused campaign.")
_action("cancel", campaigns.campaign_cancel, "Send nothing more.")


@router.post(
    "/campaigns/{int:campaign_id}/winner", response={200: CampaignOut, **ERRORS}, tags=["campaigns"]
)
def campaign_winner(request: ApiRequest, campaign_id: int, payload: WinnerIn) -> Any:
    """Give the A/B winner to the recipients waiting for it."""
    campaigns.campaign_winner_pick(
        by=request.auth, campaign_id=campaign_id, variant_key=payload.variant_key
    )
    return selectors.campaign_get(user=request.auth, campaign_id=campaign_id)


def _lift(lift: Any) -> dict[str, Any]:
    def finite(value: float) -> float | None:
        return value if value == value else None  # NaN → null

    return {
        "estimate": lift.estimate, "low": finite(lift.low), "high": finite(lift.high),
        "treated": lift.treated, "holdout": lift.holdout, "n_treated": lift.n_treated,
        "n_holdout": lift.n_holdout, "verdict": lift.verdict,
    }  # fmt: skip


@router.get(
    "/campaigns/{int:campaign_id}/report",
    response={200: CampaignReportOut, **ERRORS},
    tags=["campaigns"],
)
def campaign_report_get(request: ApiRequest, campaign_id: int) -> Any:
    """The funnel per variant and holdout, the lift of conversion and revenue per recipient
    against the holdout with 95 % intervals, and the orders won under first-touch and
    last-touch attribution."""
    campaign = selectors.campaign_get(user=request.auth, campaign_id=campaign_id)
    report = campaign_report(campaign=campaign)
    return {
        "currency": report.currency,
        "funnel": [vars(row) for row in report.rows],
        "conversion_lift": _lift(report.conversion),
        "revenue_lift": _lift(report.revenue),
        "verdict": report.verdict,
        "attribution": vars(touch_attribution(campaign=campaign)),
    }


@router.get(
    "/campaigns/{int:campaign_id}/recipients",
    response={200: RecipientPage, **ERRORS},
    tags=["campaigns"],
)
def campaign_recipients(
    request: ApiRequest, campaign_id: int, params: Query[RecipientParams]
) -> Any:
    """The campaign's recipients whose contact the caller sees, in audience order."""
    campaign = selectors.campaign_get(user=request.auth, campaign_id=campaign_id)
    page = selectors.campaign_recipients(
        user=request.auth, campaign=campaign, state=params.state or None,
        cursor=params.cursor, limit=params.limit,
    )  # fmt: skip
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


class AudienceExportIn(Schema):
    holdout_percent: int = 10
    attribution_days: int = 30


class AudienceExportOut(Schema):
    id: int
    name: str
    segment_id: int | None
    holdout_percent: int
    exported: int
    held_out: int
    attribution_days: int
    created_at: datetime


class ExposureOut(Schema):
    exposed: int
    holdout: int
    converted_exposed: int
    converted_holdout: int
    currency: str
    conversion_lift: LiftOut
    revenue_lift: LiftOut
    verdict: str


@router.post(
    "/segments/{int:segment_id}/audience-exports",
    response={201: AudienceExportOut, **ERRORS},
    tags=["segments"],
)
def audience_export_create(request: ApiRequest, segment_id: int, payload: AudienceExportIn) -> Any:
    """Freeze the segment's consented contacts into a customer-match audience with a holdout."""
    export = audiences.audience_export_create(
        by=request.auth, segment_id=segment_id, **payload.model_dump()
    )
    return Status(201, export)


@router.get(
    "/audience-exports/{int:export_id}/file",
    response={200: str, **ERRORS},
    tags=["segments"],
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def audience_export_file(request: ApiRequest, export_id: int, platform: str = "google") -> Any:
    """The upload file (CSV) of hashed emails and phones, holdout left out (google or meta)."""
    from django.http import HttpResponse

    text = audiences.audience_export_file(by=request.auth, export_id=export_id, platform=platform)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audience-{export_id}-{platform}.csv"'
    return response


@router.get(
    "/audience-exports/{int:export_id}/report",
    response={200: ExposureOut, **ERRORS},
    tags=["segments"],
)
def audience_export_report(request: ApiRequest, export_id: int) -> Any:
    """Exposed versus holdout: the lift of conversion and revenue per contact with 95 % intervals."""
    export = audiences.audience_export_get(by=request.auth, export_id=export_id)
    report = exposure_report(export=export)
    return {
        "exposed": report.exposed, "holdout": report.holdout,
        "converted_exposed": report.converted_exposed, "converted_holdout": report.converted_holdout,
        "currency": report.currency, "conversion_lift": _lift(report.conversion),
        "revenue_lift": _lift(report.revenue), "verdict": report.verdict,
    }  # fmt: skip


class ChannelSegmentOut(Schema):
    channel: str
    segment: str
    sent: int
    opened: int
    clicked: int
    converted: int
    click_rate: float
    conversion_rate: float


@router.get(
    "/channel-report", response={200: list[ChannelSegmentOut], **ERRORS}, tags=["campaigns"]
)
def channel_report(request: ApiRequest, limit: int = 50) -> Any:
    """Response and conversion by channel × segment over the caller's latest campaigns (up to
    `limit`, at most 200): which channel works for which group."""
    page = selectors.campaigns_list(user=request.auth, limit=max(1, min(limit, 200)))
    return [
        {**vars(row), "click_rate": row.click_rate, "conversion_rate": row.conversion_rate}
        for row in channel_segment_report(campaigns=page.items)
    ]
