"""Pipelines, the kanban board (drag a card to move a deal), the deal list, deal pages, and the
forecast with the sales activity monitor."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.audit import history_for
from kith.core.errors import FieldError, NotFound, StaleEdit
from kith.identity import selectors as identity_selectors
from kith.identity.access import admin_require, require
from kith.sales import selectors, services
from kith.sales.models import Deal, Stage
from kith.web.forms.base import translations_from, translations_initial
from kith.web.forms.sales import (
    DealForm,
    PipelineEditForm,
    PipelineForm,
    StageFormSet,
    stage_inputs_from,
)
from kith.web.views.errors import service_errors
from kith.web.views.history import history_rows
from kith.web.views.lists import list_template, with_vary


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _month(value: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> selectors.DealFilters:
    return selectors.DealFilters(
        owner_id=_int(request.GET.get("owner")),
        team_id=_int(request.GET.get("team")),
        close_month=_month(request.GET.get("month")),
    )


def _deal_url() -> str:
    """The deal page's address without the id, so a board card needs no reverse() each."""
    return reverse("deal-detail", args=[0]).removesuffix("0/")


def _filter_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "deal_url": _deal_url(),
        "owners": identity_selectors.users_assignable(user=request.user, module="deals"),
        "teams": identity_selectors.teams_visible(user=request.user, module="deals"),
        "query": request.GET.urlencode(),
    }


def _board_context(request: HttpRequest) -> dict[str, Any]:
    pipeline = selectors.pipeline_get(pipeline_id=_int(request.GET.get("pipeline")))
    board = selectors.deals_board(
        user=request.user,
        pipeline=pipeline,
        filters=_filters(request),
        per_column=settings.KITH_SALES_BOARD_COLUMN,
    )
    return {
        "board": board,
        "pipelines": selectors.pipelines_all(),
        "filters": request.GET,
        **_filter_context(request),
    }


@login_required
@service_errors
def deal_board(request: HttpRequest) -> HttpResponse:
    try:
        context = _board_context(request)
    except NotFound:
        return render(request, "web/sales/no_pipeline.html", status=200)
    template = list_template(request, "web/sales/board.html", partial="board")
    return with_vary(render(request, template, context))


@login_required
@service_errors
def deal_column_more(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = Stage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise NotFound(_("Not found."))
    try:
        cards, next_cursor = selectors.deals_column_more(
            user=request.user,
            stage=stage,
            filters=_filters(request),
            cursor=request.GET.get("cursor", ""),
            per_column=settings.KITH_SALES_BOARD_COLUMN,
        )
    except FieldError:
        return HttpResponse("", status=400)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"deals": cards, "stage": stage, "next_cursor": next_cursor,
               "query": query.urlencode(), "deal_url": _deal_url()}  # fmt: skip
    return render(request, "web/sales/board_cards.html", context)


@login_required
@service_errors
@require_POST
def deal_move(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Move a deal (a dropped card, or the stage form on its page). htmx gets the board back."""
    stage_id = _int(request.POST.get("stage_id"))
    try:
        deal = services.deal_move(
            by=request.user,
            deal_id=deal_id,
            stage_id=stage_id or 0,
            lost_reason=request.POST.get("lost_reason", ""),
        )
    except FieldError as exc:
        if getattr(request, "htmx", False):
            return HttpResponse(str(exc), status=422)
        messages.error(request, str(exc))
        return redirect("deal-detail", deal_id=deal_id)
    if getattr(request, "htmx", False):
        return render(request, "web/sales/board.html#board", _board_context(request))
    messages.success(request, _("Moved to %(stage)s.") % {"stage": deal.stage.name})
    return redirect("deal-detail", deal_id=deal.pk)


@login_required
@service_errors
def deal_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    outcome = request.GET.get("outcome", "")
    filters = selectors.DealFilters(
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        close_month=filters.close_month,
        outcome=outcome if outcome in Stage.Outcome.values else "",
    )
    try:
        page = selectors.deals_list(
            user=request.user,
            filters=filters,
            cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
        )
    except FieldError:
        page = selectors.deals_list(
            user=request.user, filters=filters, limit=settings.KITH_PAGE_SIZE
        )
    context = {"page": page, "deals": page.items, "filters": request.GET,
               "outcomes": Stage.Outcome.choices, **_filter_context(request)}  # fmt: skip
    return with_vary(render(request, list_template(request, "web/sales/deal_list.html"), context))


@login_required
@service_errors
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = selectors.deal_get(user=request.user, deal_id=deal_id)
    history = history_for(model="sales.deal", object_id=deal.pk)
    stages = list(Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position"))
    context = {
        "deal": deal,
        "stays": selectors.deal_stage_history(deal=deal),
        "stages": stages,
        # The won/lost buttons move to the pipeline's first won / lost stage.
        "won_stage": next((s for s in stages if s.outcome == Stage.Outcome.WON), None),
        "lost_stage": next((s for s in stages if s.outcome == Stage.Outcome.LOST), None),
        "history": history_rows(history, model=Deal, custom_fields=[]),
    }
    return render(request, "web/sales/deal_detail.html", context)


def _deal_form(request: HttpRequest, initial: dict[str, Any]) -> tuple[DealForm, Any]:
    """The deal form and what its pickers show as chosen (posted ids, else the initial ones)."""
    posted = request.method == "POST"
    data = request.POST if posted else None

    def ids(name: str) -> list[int]:
        values = data.getlist(name) if data is not None else initial.get(name, [])
        return [int(v) for v in values if str(v).isdigit()]

    company = data.get("company_id") if data is not None else initial.get("company_id")
    choices = selectors.deal_choices(
        user=request.user,
        company_id=_int(str(company or "")),
        contact_ids=ids("contact_ids"),
        product_ids=ids("product_ids"),
    )
    form = DealForm(
        data,
        initial=initial,
        owners=identity_selectors.users_assignable(user=request.user, module="deals"),
        pipelines=selectors.pipelines_all(),
        company=choices.company,
    )
    return form, choices


def _deal_form_render(
    request: HttpRequest, form: DealForm, choices: Any, deal: Deal | None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "deal": deal, "choices": choices}
    return render(request, "web/sales/deal_form.html", context, status=status)


@login_required
@service_errors
def deal_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "deals", "create")
    initial = {"owner_id": request.user.pk, "currency": "USD",
               "pipeline_id": _int(request.GET.get("pipeline")),
               "company_id": _int(request.GET.get("company")),
               "contact_ids": [c for c in [_int(request.GET.get("contact"))] if c]}  # fmt: skip
    form, choices = _deal_form(request, initial)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs(creating=True)
        if form.is_valid():
            try:
                deal = services.deal_create(by=request.user, **kwargs)
            except FieldError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Deal “%(name)s” created.") % {"name": deal.name})
                return redirect("deal-detail", deal_id=deal.pk)
    return _deal_form_render(request, form, choices, None)


@login_required
@service_errors
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = selectors.deal_get(user=request.user, deal_id=deal_id)
    require(request.user, "deals", "edit", record=deal)
    from kith.sales.money import minor_digits

    amount = deal.amount_minor / 10 ** minor_digits(deal.currency)
    initial = {
        "name": deal.name, "pipeline_id": deal.pipeline_id, "amount": f"{amount:.{minor_digits(deal.currency)}f}",
        "currency": deal.currency, "probability": deal.probability,
        "expected_close": deal.expected_close, "owner_id": deal.owner_id,
        "lost_reason": deal.lost_reason, "version": deal.version,
        "company_id": deal.company_id,
        "contact_ids": [c.pk for c in deal.contacts.all()],
        "product_ids": [p.pk for p in deal.products.all()],
    }  # fmt: skip
    form, choices = _deal_form(request, initial)
    form.fields["pipeline_id"].disabled = True
    status = 200
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs(creating=False)
        if form.is_valid():
            try:
                services.deal_update(
                    by=request.user, deal_id=deal.pk, version=form.cleaned_data["version"], **kwargs
                )
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                status = 409
            except FieldError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Deal saved."))
                return redirect("deal-detail", deal_id=deal.pk)
    return _deal_form_render(request, form, choices, deal, status)


PICK_LIMIT = 20


@login_required
@service_errors
def deal_pick(request: HttpRequest, kind: str) -> HttpResponse:
    """Search results of a deal form picker (contacts or products): each adds a chosen chip."""
    from kith.customers.selectors import ContactFilters, contacts_list

    query = request.GET.get("q", "").strip()
    results: list[tuple[int, str]] = []
    if query and kind == "contact":
        page = contacts_list(user=request.user, filters=ContactFilters(q=query), limit=PICK_LIMIT)
        results = [(c.pk, f"{c.full_name} ({c.primary_email})" if c.primary_email else c.full_name)
                   for c in page.items]  # fmt: skip
    elif query and kind == "product":
        found = selectors.products_list(user=request.user, q=query, limit=PICK_LIMIT)
        results = [(p.pk, f"{p.sku} · {p.name}") for p in found.items]
    elif kind not in ("contact", "product"):
        raise NotFound(_("Not found."))
    context = {"kind": kind, "results": results, "query": query}
    return render(request, "web/sales/_pick_results.html", context)


@login_required
@service_errors
def deal_pick_chip(request: HttpRequest, kind: str, record_id: int) -> HttpResponse:
    """One chosen contact or product of a deal form (checked; uncheck to remove)."""
    if kind == "contact":
        chosen = selectors.deal_choices(user=request.user, contact_ids=[record_id]).contacts
        name, label = "contact_ids", [c.full_name for c in chosen]
    elif kind == "product":
        found = selectors.deal_choices(user=request.user, product_ids=[record_id]).products
        name, label = "product_ids", [f"{p.sku} · {p.name}" for p in found]
    else:
        raise NotFound(_("Not found."))
    if not label:
        raise NotFound(_("Not found."))
    context = {"name": name, "value": record_id, "label": label[0]}
    return render(request, "web/sales/_pick_chip.html", context)


@login_required
def pipeline_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/sales/pipeline_list.html", {"pipelines": selectors.pipelines_all()})


@login_required
@service_errors
def pipeline_create(request: HttpRequest) -> HttpResponse:
    admin_require(request.user, message=_("Only administrators can change pipelines."))
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        stages = form.stage_inputs()
        if form.is_valid():
            try:
                services.pipeline_create(
                    by=request.user,
                    name=form.cleaned_data["name"],
                    currency=form.cleaned_data["currency"].upper(),
                    stages=stages,
                )
            except FieldError as exc:
                for key, message in exc.errors.items():
                    form.add_error(
                        key.split(".")[0] if key.split(".")[0] in form.fields else None, message
                    )
            else:
                messages.success(request, _("Pipeline created."))
                return redirect("pipeline-list")
    return render(request, "web/sales/pipeline_form.html", {"form": form})


@login_required
@service_errors
def pipeline_edit(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """Rename a pipeline; rename, reorder (the order numbers), re-weight, flag, add and delete
    its stages."""
    admin_require(request.user, message=_("Only administrators can change pipelines."))
    pipeline = selectors.pipeline_get(pipeline_id=pipeline_id)
    if pipeline.pk != pipeline_id:
        raise NotFound(_("Not found."))
    stages = list(pipeline.stages.order_by("position", "id"))
    initial = [{"id": s.pk, "name": s.name, "probability": s.probability, "outcome": s.outcome,
                "ORDER": n, **translations_initial(s.name_translations)}
               for n, s in enumerate(stages, start=1)]  # fmt: skip
    posted = request.method == "POST"
    form = PipelineEditForm(
        request.POST if posted else None,
        initial={
            "name": pipeline.name,
            "currency": pipeline.currency,
            **translations_initial(pipeline.name_translations),
        },
    )
    formset = StageFormSet(request.POST if posted else None, initial=initial, prefix="stages")
    if posted and form.is_valid() and formset.is_valid():
        try:
            services.pipeline_update(
                by=request.user,
                pipeline_id=pipeline.pk,
                name=form.cleaned_data["name"],
                currency=form.cleaned_data["currency"].upper(),
                stages=stage_inputs_from(formset),
                name_translations=translations_from(form),
            )
        except FieldError as exc:
            for key, message in exc.errors.items():
                field = key if key in form.fields else None
                form.add_error(field, message if field else f"{key}: {message}")
        else:
            messages.success(request, _("Pipeline saved."))
            return redirect("pipeline-list")
    counts = selectors.stage_deal_counts(pipeline=pipeline)
    rows = [(row, counts.get(_int(str(row["id"].value() or "")) or 0, 0)) for row in formset]
    context = {"form": form, "formset": formset, "pipeline": pipeline, "rows": rows}
    return render(request, "web/sales/pipeline_edit.html", context)


@login_required
@service_errors
@require_POST
def pipeline_delete(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    try:
        services.pipeline_delete(by=request.user, pipeline_id=pipeline_id)
    except FieldError as exc:
        messages.error(request, str(exc))
        return redirect("pipeline-edit", pipeline_id=pipeline_id)
    messages.success(request, _("Pipeline deleted."))
    return redirect("pipeline-list")


@login_required
@service_errors
def forecast_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    start = _month(request.GET.get("from")) or today.replace(day=1)
    try:
        months = max(1, min(24, int(request.GET.get("months", "6"))))
        stale_days = max(1, min(365, int(request.GET.get("stale", "14"))))
    except ValueError:
        months, stale_days = 6, 14
    filters = _filters(request)
    rows = selectors.sales_forecast(user=request.user, start=start, months=months, filters=filters)
    try:
        pipeline = selectors.pipeline_get(pipeline_id=_int(request.GET.get("pipeline")))
    except NotFound:
        return render(request, "web/sales/no_pipeline.html")
    monitor = selectors.sales_activity(user=request.user, pipeline=pipeline, stale_days=stale_days)
    context = {
        "rows": rows,
        "start": start,
        "months": months,
        "monitor": monitor,
        "pipeline": pipeline,
        "pipelines": selectors.pipelines_all(),
        "filters": request.GET,
        **_filter_context(request),
    }
    return render(request, "web/sales/forecast.html", context)
