"""Companies: list (filter, sort, keyset pages), detail with contacts and subsidiaries, create,
edit, delete, and the <option> list the company pickers search."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound, StaleEdit
from kith.customers import selectors, services
from kith.customers.models import Company
from kith.customers.selectors import COMPANY_SORTS, CompanyFilters
from kith.identity import selectors as identity_selectors
from kith.identity.access import require
from kith.web.forms.companies import CompanyForm, company_initial
from kith.web.forms.filters import CompanyFilterForm
from kith.web.panels import company_panels
from kith.web.views.errors import service_errors
from kith.web.views.history import history_rows
from kith.web.views.lists import list_template, with_vary

MODEL = "customers.company"
OPTIONS_LIMIT = 20


def stale_message() -> str:
    return _(
        "This company was changed by someone else since you opened it; reload to see their changes."
    )


def _filter_form(request: HttpRequest) -> CompanyFilterForm:
    return CompanyFilterForm(
        request.GET,
        owners=identity_selectors.users_assignable(user=request.user, module="companies"),
        teams=identity_selectors.teams_all(),
        custom_fields_list=selectors.custom_fields_for(model=MODEL),
    )


def _filters(form: CompanyFilterForm) -> CompanyFilters:
    values = form.clean_values()
    return CompanyFilters(
        q=values.get("q") or "",
        owner_id=values.get("owner"),
        team_id=values.get("team"),
        tag=values.get("tag") or "",
        industry=values.get("industry") or "",
        custom=form.custom_values(),
    )


@login_required
@service_errors
def company_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = _filters(form)
    # No sort chosen: by name, or newest first when searching (see selectors.default_sort).
    sort = request.GET.get("sort", "")
    if sort not in COMPANY_SORTS:
        sort = selectors.default_sort(filters.q)
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.companies_list(
            user=request.user,
            filters=filters,
            sort=sort,
            cursor=cursor,
            limit=settings.KITH_PAGE_SIZE,
        )
    except FieldError:
        page = selectors.companies_list(
            user=request.user, filters=filters, sort=sort, limit=settings.KITH_PAGE_SIZE
        )
    context = {"filter_form": form, "page": page, "companies": page.items, "sort": sort}
    return with_vary(render(request, list_template(request, "web/companies/list.html"), context))


@login_required
@service_errors
def company_detail(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, company_id=company_id)
    custom_fields = selectors.custom_fields_for(model=MODEL)
    # company_get loads the first contacts and the subsidiaries this user may see.
    contacts = company.visible_contacts
    history = selectors.company_history(user=request.user, company=company)
    context = {
        "company": company,
        "contacts": contacts,
        "contacts_more": len(contacts) >= selectors.COMPANY_CONTACTS_SHOWN,
        "subsidiaries": company.visible_subsidiaries,
        "custom_values": [
            (cf, (company.custom or {}).get(cf.key))
            for cf in custom_fields
            if (company.custom or {}).get(cf.key) not in (None, "")
        ],
        "history": history_rows(history, model=Company, custom_fields=custom_fields),
        "panels": company_panels(),
    }
    return render(request, "web/companies/detail.html", context)


def _visible_company(request: HttpRequest, company_id: int) -> Any:
    try:
        return selectors.company_get(user=request.user, company_id=company_id)
    except NotFound:  # the service names the field when the form is saved
        return None


def _form(request: HttpRequest, *, initial: dict[str, Any], parent: Any = None) -> CompanyForm:
    data = request.POST if request.method == "POST" else None
    if data is not None and data.get("parent", "").isdigit():
        parent = _visible_company(request, int(data["parent"]))
    return CompanyForm(
        data,
        initial=initial,
        owners=identity_selectors.users_assignable(user=request.user, module="companies"),
        custom_fields_list=selectors.custom_fields_for(model=MODEL),
        parent=parent,
    )


@login_required
@service_errors
def company_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "companies", "create")
    form = _form(request, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(
                by=request.user, **form.service_kwargs(only_changed=False)
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Company “%(name)s” created.") % {"name": company.name})
            return redirect("company-detail", company_id=company.pk)
    return render(request, "web/companies/form.html", {"form": form, "company": None})


@login_required
@service_errors
def company_edit(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, company_id=company_id)
    require(request.user, "companies", "edit", record=company)
    custom_fields = selectors.custom_fields_for(model=MODEL)
    form = _form(request, initial=company_initial(company, custom_fields), parent=company.parent)
    form.fields["version"].required = True
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_update(
                by=request.user,
                company_id=company.pk,
                version=form.cleaned_data["version"],
                **form.service_kwargs(only_changed=True),
            )
        except StaleEdit:
            form.add_error(None, stale_message())
            status = 409
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Company “%(name)s” saved.") % {"name": company.name})
            return redirect("company-detail", company_id=company.pk)
    return render(
        request, "web/companies/form.html", {"form": form, "company": company}, status=status
    )


@login_required
@service_errors
def company_delete(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, company_id=company_id)
    require(request.user, "companies", "delete", record=company)
    if request.method == "POST":
        services.company_delete(by=request.user, company_id=company.pk)
        messages.success(request, _("Company “%(name)s” deleted.") % {"name": company.name})
        return redirect("company-list")
    return render(request, "web/companies/delete.html", {"company": company})


@login_required
@service_errors
def company_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the companies matching `q`, for the company picker on contact/company forms."""
    query = request.GET.get("q", "").strip()
    page = selectors.companies_list(
        user=request.user, filters=CompanyFilters(q=query), limit=OPTIONS_LIMIT
    )
    exclude = request.GET.get("exclude", "")
    companies = [c for c in page.items if str(c.pk) != exclude]
    return render(request, "web/companies/options.html", {"companies": companies, "query": query})
