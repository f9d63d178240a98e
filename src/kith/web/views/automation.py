"""Automation pages (administrators): rules with the builder, test runs and the run log;
webhook subscriptions with the delivery log and redelivery; inbound webhook sources with the
bodies they received; and the public endpoint an inbound source's secret URL points at."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kith.automation import selectors, services
from kith.automation.models import Delivery, RuleRun
from kith.automation.services import inbound
from kith.core.doors import dotted_load, rule_actions
from kith.core.errors import FieldError, StaleEdit
from kith.identity import selectors as identity_selectors
from kith.identity.access import admin_require, users_assignable
from kith.web.forms.automation import (
    InboundSourceForm,
    RuleForm,
    SubscriptionForm,
    rule_initial,
)
from kith.web.views.errors import service_errors


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _targets(user: Any) -> list[tuple[str, str]]:
    """The targets of the actions other apps provide (campaign lists), as "<action>:<id>"."""
    return [
        (f"{key}:{pk}", f"{action.label}: {label}")
        for key, action in rule_actions().items()
        for pk, label in dotted_load(action.choices)(by=user)
    ]


def _rule_form(request: HttpRequest, initial: dict[str, Any]) -> RuleForm:
    return RuleForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        users=list(users_assignable(user=request.user)),
        teams=list(identity_selectors.teams_all()),
        subscriptions=selectors.subscriptions_list(user=request.user),
        targets=_targets(request.user),
    )


@login_required
@service_errors
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = selectors.rules_list(user=request.user)
    return render(request, "web/automation/rule_list.html", {"rules": rules})


@login_required
@service_errors
def rule_create(request: HttpRequest) -> HttpResponse:
    admin_require(request.user)
    form = _rule_form(request, {"owner_id": request.user.pk, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(by=request.user, **form.service_kwargs())
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
            return redirect("rule-detail", rule_id=rule.pk)
    return render(request, "web/automation/rule_form.html", {"form": form, "rule": None})


@login_required
@service_errors
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, rule_id=rule_id)
    form = _rule_form(request, rule_initial(rule))
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(
                by=request.user,
                rule_id=rule.pk,
                version=form.cleaned_data.get("version"),
                **form.service_kwargs(),
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        except StaleEdit as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
            return redirect("rule-detail", rule_id=rule.pk)
    return render(request, "web/automation/rule_form.html", {"form": form, "rule": rule})


@login_required
@service_errors
def rule_detail(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, rule_id=rule_id)
    test: dict[str, Any] | None = None
    test_error = ""
    if request.method == "POST":
        try:
            test = services.rule_test(
                by=request.user, rule_id=rule.pk, record_id=_int(request.POST.get("record_id"))
            )
        except FieldError as exc:
            test_error = "; ".join(exc.errors.values())
    status = request.GET.get("status", "")
    page = selectors.runs_list(
        user=request.user,
        rule_id=rule.pk,
        status=status if status in RuleRun.Status.values else "",
        cursor=request.GET.get("cursor") or None,
        limit=settings.KITH_PAGE_SIZE,
    )
    context = {
        "rule": rule,
        "page": page,
        "runs": page.items,
        "test": test,
        "test_error": test_error,
        "statuses": RuleRun.Status.choices,
        "status": status,
    }
    return render(request, "web/automation/rule_detail.html", context)


@login_required
@service_errors
@require_POST
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, rule_id=rule_id)
    services.rule_update(by=request.user, rule_id=rule.pk, is_active=not rule.is_active)
    return redirect("rule-detail", rule_id=rule.pk)


@login_required
@service_errors
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, run_id=run_id)
    return render(request, "web/automation/run_detail.html", {"run": run})


@login_required
@service_errors
def subscription_list(request: HttpRequest) -> HttpResponse:
    admin_require(request.user)
    form = SubscriptionForm(request.POST if request.method == "POST" else None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _subscription, secret = services.subscription_create(
                by=request.user, **form.service_kwargs()
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            form = SubscriptionForm()
    context = {
        "subscriptions": selectors.subscriptions_list(user=request.user),
        "form": form,
        "secret": secret,  # shown this once
    }
    return render(request, "web/automation/subscription_list.html", context)


@login_required
@service_errors
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = selectors.subscription_get(user=request.user, subscription_id=subscription_id)
    status = request.GET.get("status", "")
    page = selectors.deliveries_list(
        user=request.user,
        subscription_id=subscription.pk,
        status=status if status in Delivery.Status.values else "",
        cursor=request.GET.get("cursor") or None,
        limit=settings.KITH_PAGE_SIZE,
    )
    context = {
        "subscription": subscription,
        "page": page,
        "deliveries": page.items,
        "statuses": Delivery.Status.choices,
        "status": status,
    }
    return render(request, "web/automation/subscription_detail.html", context)


@login_required
@service_errors
@require_POST
def subscription_toggle(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = selectors.subscription_get(user=request.user, subscription_id=subscription_id)
    services.subscription_update(
        by=request.user, subscription_id=subscription.pk, is_active=not subscription.is_active
    )
    return redirect("subscription-detail", subscription_id=subscription.pk)


@login_required
@service_errors
@require_POST
def delivery_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    try:
        delivery = services.delivery_redeliver(by=request.user, delivery_id=delivery_id)
    except FieldError as exc:
        messages.error(request, "; ".join(exc.errors.values()))
        delivery = selectors.delivery_get(user=request.user, delivery_id=delivery_id)
    else:
        messages.success(request, _("The delivery will be sent again."))
    return redirect("subscription-detail", subscription_id=delivery.subscription_id)


@login_required
@service_errors
def inbound_list(request: HttpRequest) -> HttpResponse:
    admin_require(request.user)
    form = InboundSourceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            source = inbound.inbound_source_create(by=request.user, **form.service_kwargs())
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Source “%(name)s” made.") % {"name": source.name})
            return redirect("inbound-detail", source_id=source.pk)
    context = {"sources": selectors.inbound_sources_list(user=request.user), "form": form}
    return render(request, "web/automation/inbound_list.html", context)


@login_required
@service_errors
def inbound_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    source = next(
        (s for s in selectors.inbound_sources_list(user=request.user) if s.pk == source_id), None
    )
    if source is None:
        from django.http import Http404

        raise Http404
    if request.method == "POST" and request.POST.get("retry"):
        result = inbound.inbound_body_retry(by=request.user, body_id=int(request.POST["retry"]))
        if result.status == 201:
            messages.success(request, _("The body was turned into a record."))
        else:
            messages.error(request, str(result.body.get("fields") or result.body.get("error")))
        return redirect("inbound-detail", source_id=source.pk)
    page = selectors.inbound_bodies_list(
        user=request.user,
        source_id=source.pk,
        cursor=request.GET.get("cursor") or None,
        limit=settings.KITH_PAGE_SIZE,
    )
    hook_url = request.build_absolute_uri(f"/hooks/in/{source.token}/")
    context = {"source": source, "page": page, "bodies": page.items, "hook_url": hook_url}
    return render(request, "web/automation/inbound_detail.html", context)


@csrf_exempt
@require_POST
def inbound_receive(request: HttpRequest, token: str) -> HttpResponse:
    """The public endpoint of an inbound source: the token in the URL is the secret."""
    result = inbound.inbound_receive(token=token, raw=request.body)
    return JsonResponse(result.body, status=result.status)
