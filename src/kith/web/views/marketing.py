"""Marketing pages: segments (list, editor with a live count, detail with size history and
members), campaigns (list, create, detail with funnel, lift chart and actions, recipients)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kith.core.errors import FieldError, StaleEdit
from kith.identity.access import require
from kith.marketing import selectors
from kith.marketing.attribution import touch_attribution
from kith.marketing.models import CampaignRecipient, Segment
from kith.marketing.report import campaign_report
from kith.marketing.rules import FIELDS
from kith.marketing.services import campaigns, segments
from kith.marketing.services.winback import winback_campaign_create
from kith.web.views.errors import service_errors
from kith.web.views.lists import list_template, with_vary


class SegmentForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Segment.Kind.choices)
    rules = forms.CharField(
        label=gettext_lazy("Rules (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )
    emails = forms.CharField(
        label=gettext_lazy("Email addresses (static list)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    emails_file = forms.FileField(label=gettext_lazy("…or a file of addresses"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    template_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Templates (one per A/B variant)"), coerce=int, choices=()
    )
    segment_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Segments"), coerce=int, choices=()
    )
    exclusion_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Leave out"), coerce=int, choices=(), required=False
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=(
            ("email", gettext_lazy("Email")),
            ("sms", gettext_lazy("SMS")),
            ("chat", gettext_lazy("Chat")),
            ("best", gettext_lazy("Each contact's best channel")),
        ),
    )
    purpose = forms.ChoiceField(
        label=gettext_lazy("Purpose"),
        choices=(
            ("marketing", gettext_lazy("Marketing")),
            ("newsletter", gettext_lazy("Newsletter")),
        ),
    )
    holdout_percent = forms.IntegerField(label=gettext_lazy("Holdout (%)"), initial=10)
    test_percent = forms.IntegerField(label=gettext_lazy("A/B test share (%)"), initial=100)
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    rate_per_minute = forms.IntegerField(label=gettext_lazy("Messages per minute"), initial=6000)
    attribution_days = forms.IntegerField(
        label=gettext_lazy("Attribution window (days)"), initial=7
    )


def _rules(raw: str) -> Any:
    try:
        return json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise FieldError.one("rules", _("Not valid JSON: %(error)s") % {"error": exc.msg}) from None


def _errors_to_form(form: forms.Form, exc: FieldError) -> None:
    for key, message in exc.errors.items():
        field = key.split(".")[0].split("[")[0]
        form.add_error(
            field if field in form.fields else None,
            f"{key}: {message}" if key != field else message,
        )


@login_required
@service_errors
def segment_list(request: HttpRequest) -> HttpResponse:
    page = selectors.segments_list(
        user=request.user, cursor=request.GET.get("cursor") or None, limit=settings.KITH_PAGE_SIZE
    )
    context = {"page": page, "segments": page.items}
    return with_vary(
        render(request, list_template(request, "web/marketing/segment_list.html"), context)
    )


def _field_help() -> list[tuple[str, str, str]]:
    return [(name, str(f.label), ", ".join(f.ops)) for name, f in FIELDS.items()]


@login_required
@service_errors
def segment_edit(request: HttpRequest, segment_id: int | None = None) -> HttpResponse:
    segment = (
        selectors.segment_get(user=request.user, segment_id=segment_id) if segment_id else None
    )
    require(request.user, "marketing", "edit" if segment else "create")
    initial = {}
    if segment is not None:
        initial = {"name": segment.name, "kind": segment.kind, "version": segment.version,
                   "rules": json.dumps(segment.rules, ensure_ascii=False, indent=2)}  # fmt: skip
    form = SegmentForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rules = _rules(data["rules"]) if data["kind"] == "dynamic" else {}
            if segment is None:
                segment = segments.segment_create(
                    by=request.user, name=data["name"], kind=data["kind"], rules=rules
                )
            else:
                changes: dict[str, Any] = {"name": data["name"]}
                if segment.kind == "dynamic":
                    changes["rules"] = rules
                segment = segments.segment_update(
                    by=request.user, segment_id=segment.pk, changes=changes, version=data["version"]
                )
            text = data["emails"] or ""
            if data.get("emails_file"):
                text += "\n" + data["emails_file"].read(5_000_000).decode("utf-8", "replace")
            if text.strip() and segment.kind == "static":
                result = segments.segment_emails_add(
                    by=request.user, segment_id=segment.pk, text=text
                )
                messages.success(
                    request,
                    _("%(added)d added; %(unknown)d addresses belong to no contact you see.")
                    % result,
                )
            return redirect("segment-detail", segment_id=segment.pk)
        except FieldError as exc:
            _errors_to_form(form, exc)
        except StaleEdit as exc:
            form.add_error(None, str(exc))
    context = {"form": form, "segment": segment, "fields": _field_help()}
    return render(
        request, "web/marketing/segment_form.html", context, status=422 if form.errors else 200
    )


@login_required
@service_errors
@require_POST
def segment_count(request: HttpRequest) -> HttpResponse:
    """The live count of the editor (htmx): how many contacts you see match the rules now."""
    require(request.user, "marketing", "read")
    context: dict[str, Any] = {"count": None, "error": ""}
    try:
        rules = _rules(request.POST.get("rules", ""))
        live = selectors.rules_live_count(
            user=request.user, rules=rules, exact=request.POST.get("exact") == "1"
        )
        context["count"], context["live"] = live.count, live
        context["sample"] = selectors.segment_sample(user=request.user, rules=rules, limit=5)
    except FieldError as exc:
        context["error"] = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
    return render(request, "web/marketing/segment_count.html", context)


@login_required
@service_errors
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(user=request.user, segment_id=segment_id)
    page = selectors.segment_members(
        user=request.user, segment=segment, cursor=request.GET.get("cursor") or None,
        limit=settings.KITH_PAGE_SIZE,
    )  # fmt: skip
    sizes = selectors.segment_sizes(segment=segment)
    context = {
        "segment": segment,
        "page": page,
        "members": page.items,
        "count": selectors.segment_count(user=request.user, segment=segment),
        "sizes": sizes,
        "rules": json.dumps(segment.rules, ensure_ascii=False, indent=2),
    }
    return with_vary(
        render(request, list_template(request, "web/marketing/segment_detail.html"), context)
    )


@login_required
@service_errors
def campaign_list(request: HttpRequest) -> HttpResponse:
    page = selectors.campaigns_list(
        user=request.user, cursor=request.GET.get("cursor") or None, limit=settings.KITH_PAGE_SIZE
    )
    context = {"page": page, "campaigns": page.items}
    return with_vary(
        render(request, list_template(request, "web/marketing/campaign_list.html"), context)
    )


@login_required
@service_errors
def campaign_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "marketing", "create")
    form = CampaignForm(request.POST or None)
    segment_choices = [
        (s.pk, s.name) for s in selectors.segments_list(user=request.user, limit=200).items
    ]
    form.fields["segment_ids"].choices = segment_choices  # type: ignore[attr-defined]
    form.fields["exclusion_ids"].choices = segment_choices  # type: ignore[attr-defined]
    form.fields["template_ids"].choices = [(t.pk, t.name) for t in selectors.templates_list()]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaigns.campaign_create(by=request.user, **form.cleaned_data)
            return redirect("campaign-detail", campaign_id=campaign.pk)
        except FieldError as exc:
            _errors_to_form(form, exc)
    return render(
        request,
        "web/marketing/campaign_form.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _chart(report: Any) -> dict[str, Any]:
    def interval(lift: Any, scale: float) -> list[float | None]:
        return [
            None if v != v else round(v * scale, 4) for v in (lift.low, lift.estimate, lift.high)
        ]

    return {
        "labels": {
            "conversion": _("Conversion lift (points)"),
            "revenue": _("Revenue per recipient lift"),
            "interval": _("Confidence interval (95 %)"),
            "estimate": _("Estimate"),
            "sent": _("Sent"),
            "opened": _("Opened"),
            "clicked": _("Clicked"),
            "converted": _("Converted"),
        },
        "conversion": interval(report.conversion, 100),
        "revenue": interval(report.revenue, 1),
        "funnel": {
            "groups": [row.group for row in report.rows],
            "sent": [row.sent for row in report.rows],
            "opened": [row.opened for row in report.rows],
            "clicked": [row.clicked for row in report.rows],
            "converted": [row.converted for row in report.rows],
        },
    }


@login_required
@service_errors
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    report = campaign_report(campaign=campaign)
    context = {
        "campaign": campaign,
        "report": report,
        "rows": [(row, report.money(row.revenue_minor)) for row in report.rows],
        "chart": _chart(report),
        "variants": list(campaign.variants.select_related("template")),
        "touch": touch_attribution(campaign=campaign),
    }
    context["touch_money"] = (
        context["touch"].money(context["touch"].first_revenue_minor),
        context["touch"].money(context["touch"].last_revenue_minor),
    )
    return render(request, "web/marketing/campaign_detail.html", context)


@login_required
@service_errors
@require_POST
def campaign_winback(request: HttpRequest) -> HttpResponse:
    """Make the ready win-back campaign (a draft) and open it."""
    campaign = winback_campaign_create(by=request.user)
    return redirect("campaign-detail", campaign_id=campaign.pk)


ACTIONS = {
    "start": campaigns.campaign_start,
    "pause": campaigns.campaign_pause,
    "resume": campaigns.campaign_resume,
    "cancel": campaigns.campaign_cancel,
}


@login_required
@service_errors
@require_POST
def campaign_action(request: HttpRequest, campaign_id: int, action: str) -> HttpResponse:
    service = ACTIONS.get(action)
    try:
        if action == "winner":
            campaigns.campaign_winner_pick(by=request.user, campaign_id=campaign_id)
        elif service is None:
            raise FieldError.one("action", _("Unknown action."))
        else:
            service(by=request.user, campaign_id=campaign_id)
    except FieldError as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    return redirect("campaign-detail", campaign_id=campaign_id)


@login_required
@service_errors
def campaign_recipients(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    state = request.GET.get("state", "")
    page = selectors.campaign_recipients(
        user=request.user, campaign=campaign, state=state if state in CampaignRecipient.State.values else None,
        cursor=request.GET.get("cursor") or None, limit=settings.KITH_PAGE_SIZE,
    )  # fmt: skip
    context = {"campaign": campaign, "page": page, "recipients": page.items,
               "states": CampaignRecipient.State.choices, "state": state}  # fmt: skip
    return with_vary(
        render(request, list_template(request, "web/marketing/recipient_list.html"), context)
    )
