"""Leads (list, detail, create, edit, convert), web-form design and the public form."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from kith.core.audit import history_for
from kith.core.errors import FieldError, NotFound, StaleEdit
from kith.identity import selectors as identity_selectors
from kith.identity.access import admin_require, require
from kith.insights.lead_scores import lead_score_explain
from kith.sales import selectors, services
from kith.sales.models import Channel, Lead, WebForm
from kith.web.forms.sales import ConvertForm, LeadForm, PublicLeadForm, WebFormForm
from kith.web.views.errors import service_errors
from kith.web.views.history import history_rows
from kith.web.views.lists import list_template, with_vary

FORMS_ADMINS_ONLY = gettext_lazy("Only administrators can design web forms.")


@login_required
@service_errors
def lead_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    sort = request.GET.get("sort", "score")
    filters = selectors.LeadFilters(
        status=status if status in Lead.Status.values else "",
        source_channel=channel if channel in Channel.values else "",
        campaign=request.GET.get("campaign", "")[:120],
        sort=sort if sort in selectors.LEAD_SORTS else "score",
    )
    try:
        page = selectors.leads_list(
            user=request.user,
            filters=filters,
            cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
        )
    except FieldError:
        page = selectors.leads_list(
            user=request.user, filters=filters, limit=settings.KITH_PAGE_SIZE
        )
    context = {
        "page": page,
        "leads": page.items,
        "filters": filters,
        "statuses": Lead.Status.choices,
        "channels": Channel.choices,
        "sorts": (("score", _("Best score first")), ("created", _("Newest first"))),
    }
    return with_vary(render(request, list_template(request, "web/sales/lead_list.html"), context))


@login_required
@service_errors
def lead_route(request: HttpRequest) -> HttpResponse:
    """POST: hand the user's team's new leads to its reps, best score first (the rule in
    kith.sales.services.lead_routing)."""
    if request.method != "POST":
        return redirect("lead-list")
    if request.user.team_id is None:
        messages.error(request, _("You need a team to route its leads."))
        return redirect("lead-list")
    result = services.leads_route(by=request.user, team_id=request.user.team_id)
    routed = sum(len(ids) for ids in result.routed.values())
    messages.success(
        request,
        _("%(routed)s new leads routed by score; %(kept)s kept (no rep had room).")
        % {"routed": routed, "kept": len(result.kept)},
    )
    return redirect(reverse("lead-list") + "?status=new")


def _lead_form(request: HttpRequest, initial: dict[str, Any]) -> LeadForm:
    return LeadForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        owners=identity_selectors.users_assignable(user=request.user, module="leads"),
    )


@login_required
@service_errors
def lead_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "leads", "create")
    form = _lead_form(
        request, {"owner_id": request.user.pk, "source_channel": "phone", "status": "new"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(by=request.user, **form.service_kwargs())
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Lead “%(name)s” created.") % {"name": lead.full_name})
            return redirect("lead-detail", lead_id=lead.pk)
    return render(request, "web/sales/lead_form.html", {"form": form, "lead": None})


@login_required
@service_errors
def lead_edit(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=lead_id)
    require(request.user, "leads", "edit", record=lead)
    initial = {
        name: getattr(lead, name)
        for name in ("full_name", "email", "phone", "company_name", "website", "source_channel",
                     "campaign", "status", "disqualified_reason", "owner_id", "message", "version")
    }  # fmt: skip
    form = _lead_form(request, initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.service_kwargs().items() if k in form.changed_data}
        try:
            services.lead_update(
                by=request.user, lead_id=lead.pk, version=form.cleaned_data["version"], **changes
            )
        except StaleEdit as exc:
            form.add_error(None, str(exc))
            status = 409
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Lead saved."))
            return redirect("lead-detail", lead_id=lead.pk)
    return render(request, "web/sales/lead_form.html", {"form": form, "lead": lead}, status=status)


@login_required
@service_errors
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=lead_id)
    history = history_for(model="sales.lead", object_id=lead.pk)
    pipelines = selectors.pipelines_all()
    convert_form = ConvertForm(
        initial={"deal_name": lead.company_name or lead.full_name, "currency": "USD"},
        pipelines=pipelines,
    )
    context = {
        "lead": lead,
        "history": history_rows(history, model=Lead, custom_fields=[]),
        "convert_form": convert_form,
        "scored": lead_score_explain(lead=lead),
    }
    return render(request, "web/sales/lead_detail.html", context)


@login_required
@service_errors
def lead_convert(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=lead_id)
    require(request.user, "leads", "edit", record=lead)
    form = ConvertForm(request.POST or None, pipelines=selectors.pipelines_all())
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        if form.is_valid():
            try:
                result = services.lead_convert(by=request.user, lead_id=lead.pk, **kwargs)
            except FieldError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Lead converted: %(name)s.") % {"name": result.contact.full_name},
                )
                if result.deal is not None:
                    return redirect("deal-detail", deal_id=result.deal.pk)
                return redirect("contact-detail", contact_id=result.contact.pk)
    history = history_for(model="sales.lead", object_id=lead.pk)
    context = {
        "lead": lead,
        "history": history_rows(history, model=Lead, custom_fields=[]),
        "convert_form": form,
        "scored": lead_score_explain(lead=lead),
    }
    return render(request, "web/sales/lead_detail.html", context, status=422)


# --- web forms --------------------------------------------------------------------------------


def _public_url(request: HttpRequest, form: WebForm) -> str:
    return request.build_absolute_uri(reverse("form-public", args=[form.slug]))


@login_required
@service_errors
def form_list(request: HttpRequest) -> HttpResponse:
    admin_require(request.user, message=FORMS_ADMINS_ONLY)
    forms_ = [{"form": f, "url": _public_url(request, f)} for f in selectors.webforms_all()]
    return render(request, "web/sales/form_list.html", {"forms": forms_})


def _webform_form(request: HttpRequest, initial: dict[str, Any]) -> WebFormForm:
    return WebFormForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        owners=identity_selectors.users_assignable(user=request.user, module="leads"),
        teams=identity_selectors.teams_all(),
    )


@login_required
@service_errors
def form_create(request: HttpRequest) -> HttpResponse:
    admin_require(request.user, message=FORMS_ADMINS_ONLY)
    form = _webform_form(
        request,
        {"thank_you_text": _("Thank you! We will be in touch soon."), "is_active": True,
         "fields": ["phone", "company_name", "message"], "owner_id": request.user.pk},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            webform = services.webform_create(by=request.user, **form.cleaned_data)
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Form “%(name)s” created.") % {"name": webform.name})
            return redirect("form-list")
    return render(request, "web/sales/form_form.html", {"form": form, "webform": None})


@login_required
@service_errors
def form_edit(request: HttpRequest, form_id: int) -> HttpResponse:
    admin_require(request.user, message=FORMS_ADMINS_ONLY)
    webform = WebForm.objects.filter(pk=form_id).first()
    if webform is None:
        from django.http import Http404

        raise Http404(_("Not found."))
    initial = {
        "name": webform.name, "slug": webform.slug, "fields": webform.fields,
        "consent_text": webform.consent_text, "thank_you_text": webform.thank_you_text,
        "campaign": webform.campaign, "assignment": webform.assignment,
        "owner_id": webform.owner_id, "team_id": webform.team_id, "is_active": webform.is_active,
    }  # fmt: skip
    form = _webform_form(request, initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webform_update(by=request.user, form_id=webform.pk, **form.cleaned_data)
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Form saved."))
            return redirect("form-list")
    context = {"form": form, "webform": webform, "url": _public_url(request, webform)}
    return render(request, "web/sales/form_form.html", context)


def _client_ip(request: HttpRequest) -> str:
    # Behind a proxy set KITH_TRUST_X_FORWARDED_FOR; otherwise the header is the client's word.
    if getattr(settings, "KITH_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


# The public form is posted from other sites inside an iframe, where the CSRF cookie is a
# third-party cookie and often blocked; nothing here acts as a signed-in user, and spam is held
# off by the honeypot and the per-address rate limit instead.
@csrf_exempt
@xframe_options_exempt
def form_public(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        webform = selectors.webform_public(slug=slug)
    except NotFound as exc:
        from django.http import Http404

        raise Http404(str(exc)) from exc
    form = PublicLeadForm(request.POST or None, webform=webform)
    status = 200
    context: dict[str, Any] = {"webform": webform, "form": form, "thanks": False}
    if request.method == "POST":
        form.is_valid()
        try:
            services.webform_submit(slug=slug, data=request.POST, ip=_client_ip(request))
        except services.RateLimited as exc:
            form.add_error(None, exc.errors["__all__"])
            status = 429
        except FieldError as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
            status = 422
        else:
            context["thanks"] = True
    return render(request, "web/sales/form_public.html", context, status=status)
