"""The start page: what was added lately, and the way into each module."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kith.customers import selectors
from kith.web.views.errors import service_errors

RECENT = 8


@login_required
@service_errors
def home(request: HttpRequest) -> HttpResponse:
    contacts = selectors.contacts_list(user=request.user, sort="-created", limit=RECENT)
    companies = selectors.companies_list(user=request.user, sort="-created", limit=RECENT)
    return render(
        request,
        "web/home.html",
        {"recent_contacts": contacts.items, "recent_companies": companies.items},
    )
