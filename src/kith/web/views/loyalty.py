"""Loyalty pages: the programme dashboard (chart.js), members, top advocates, the contact's
loyalty panel (with enrolment and manual adjustment), the member's own page through a signed
link in their language, the public referral page, and setting programmes up (tiers, earning
rules, rewards) for admins and managers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kith.core.errors import FieldError
from kith.customers import selectors as customer_selectors
from kith.identity.access import can, require
from kith.loyalty import selectors, services
from kith.loyalty.models import Membership, Programme
from kith.loyalty.selectors.network import contact_network
from kith.sales.selectors.products import products_list
from kith.web.forms.loyalty import EarningRuleForm, ProgrammeForm, RewardForm, TierForm
from kith.web.views.errors import service_errors


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@service_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    programmes = selectors.programmes_list(user=request.user)
    chosen = _int(request.GET.get("programme"))
    programme = next(
        (p for p in programmes if p.pk == chosen), programmes[0] if programmes else None
    )
    context: dict[str, Any] = {
        "programmes": programmes,
        "programme": programme,
        "can_setup": can(request.user, "loyalty_programmes", "edit"),
    }
    if programme is not None:
        board = selectors.programme_dashboard(user=request.user, programme_id=programme.pk)
        context["board"] = board
        context["advocates"] = selectors.top_advocates(user=request.user, programme_id=programme.pk)
        context["tiers"] = selectors.tiers_list(user=request.user, programme_id=programme.pk)
        context["rewards"] = selectors.rewards_list(user=request.user, programme_id=programme.pk)
        # Members vs RFM-matched non-members (insights, imported here: it loads Polars)
        from kith.insights.loyalty_value import programme_lift

        if can(request.user, "loyalty_programmes", "edit"):
            context["lift"] = programme_lift(programme=programme)
        context["chart"] = {
            "months": [m["month"] for m in board.months],
            "issued": [m["issued"] for m in board.months],
            "redeemed": [m["redeemed"] for m in board.months],
            "expired": [m["expired"] for m in board.months],
            "tiers": [t.tier for t in board.per_tier],
            "tier_members": [t.members for t in board.per_tier],
            "labels": {
                "issued": _("Points issued"),
                "redeemed": _("Points redeemed"),
                "expired": _("Points expired"),
                "members": _("Members"),
            },
        }
    return render(request, "web/loyalty/dashboard.html", context)


@login_required
@service_errors
def member_list(request: HttpRequest) -> HttpResponse:
    programme_id = _int(request.GET.get("programme"))
    tier_id = _int(request.GET.get("tier"))
    kwargs = {"user": request.user, "programme_id": programme_id, "tier_id": tier_id}
    try:
        page = selectors.memberships_list(
            **kwargs, cursor=request.GET.get("cursor") or None, limit=settings.KITH_PAGE_SIZE
        )
    except FieldError:
        page = selectors.memberships_list(**kwargs, limit=settings.KITH_PAGE_SIZE)
    context = {
        "page": page,
        "members": page.items,
        "programme_id": programme_id,
        "tier_id": tier_id,
    }
    return render(request, "web/loyalty/member_list.html", context)


@login_required
@service_errors
def contact_loyalty_panel(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_for_panel(user=request.user, contact_id=contact_id)
    require(request.user, "loyalty", "read")
    memberships = selectors.contact_memberships(user=request.user, contact_id=contact.pk)
    cards = [selectors.member_card(membership=m) for m in memberships]
    joined = {m.programme_id for m in memberships}
    open_programmes = [
        p for p in Programme.objects.filter(is_active=True).order_by("name") if p.pk not in joined
    ]
    context = {
        "contact": contact,
        "cards": [
            (
                card,
                services.member_url(membership_id=card.membership.pk),
                services.referral_url(code=card.membership.referral_code),
            )
            for card in cards
        ],
        "open_programmes": open_programmes if can(request.user, "loyalty", "create") else [],
        "can_adjust": can(request.user, "loyalty", "edit"),
    }
    return render(request, "web/loyalty/panel.html", context)


@login_required
@require_POST
@service_errors
def member_enrol(request: HttpRequest) -> HttpResponse:
    contact_id = _int(request.POST.get("contact_id")) or 0
    try:
        services.membership_enrol(
            by=request.user, programme_id=_int(request.POST.get("programme_id")) or 0,
            contact_id=contact_id, referral_code=request.POST.get("referral_code", ""),
            language=request.POST.get("language", ""),
        )  # fmt: skip
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, _("Enrolled in the loyalty programme."))
    return redirect("contact-detail", contact_id=contact_id)


@login_required
@require_POST
@service_errors
def member_adjust(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, membership_id=membership_id)
    raw = request.POST.get("points", "").strip()
    try:
        points = int(raw)
    except ValueError:
        messages.error(request, _("Enter a whole number of points other than 0."))
    else:
        try:
            services.points_adjust(
                by=request.user, membership_id=membership.pk, points=points,
                reason=request.POST.get("reason", ""),
            )  # fmt: skip
        except FieldError as exc:
            for message in exc.errors.values():
                messages.error(request, message)
        else:
            messages.success(request, _("Points adjusted."))
    return redirect("contact-detail", contact_id=membership.contact_id)


@login_required
@require_POST
@service_errors
def member_link_send(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, membership_id=membership_id)
    try:
        services.member_link_send(by=request.user, membership_id=membership.pk)
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, _("The member's link was emailed."))
    return redirect("contact-detail", contact_id=membership.contact_id)


def member_page(request: HttpRequest, token: str) -> HttpResponse:
    """The member's own page: no sign-in, the signed link is the key; in their language."""
    try:
        membership_id = services.member_token_read(token=token)
    except FieldError as exc:
        return render(
            request, "web/loyalty/member_public.html", {"error": exc.errors["token"]}, status=410
        )
    membership = (
        Membership.objects.select_related("programme", "tier").filter(pk=membership_id).first()
    )
    if membership is None:
        raise Http404(_("Not found."))
    language = membership.language or translation.get_language()
    with translation.override(language):
        card = selectors.member_card(membership=membership, history=20)
        context = {
            "card": card,
            "membership": membership,
            "programme": membership.programme,
            "rewards": selectors.rewards_list(user=None, programme_id=membership.programme_id),
            "referral_url": services.referral_url(code=membership.referral_code),
            "redemptions": selectors.redemptions_list(
                user=None, membership_id=membership.pk, limit=10
            ).items,
        }
        response = render(request, "web/loyalty/member_public.html", context)
        response["Content-Language"] = language
    return response


def referral_page(request: HttpRequest, code: str) -> HttpResponse:
    """The public landing page of a referral link: the programme and the code to give."""
    membership = (
        Membership.objects.select_related("programme").filter(referral_code=code.upper()).first()
    )
    if membership is None:
        raise Http404(_("Not found."))
    context = {"programme": membership.programme, "code": membership.referral_code}
    return render(request, "web/loyalty/referral_public.html", context)


@login_required
@service_errors
def contact_network_page(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = customer_selectors.contact_get(user=request.user, contact_id=contact_id)
    network = contact_network(user=request.user, contact=contact)
    graph = {"nodes": network.nodes, "edges": network.edges}
    context = {"contact": contact, "network": network, "graph": graph}
    return render(request, "web/loyalty/network.html", context)


# --- setting programmes up (admins and managers: the loyalty_programmes rights) --------------


def _products(user: Any) -> list[tuple[int, str]]:
    page = products_list(user=user, limit=200)
    return [(p.pk, f"{p.name} ({p.sku})" if p.sku else p.name) for p in page.items]


@login_required
@service_errors
def programme_setup(request: HttpRequest) -> HttpResponse:
    """The programmes, and a form for a new one."""
    require(request.user, "loyalty_programmes", "create")
    form = ProgrammeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(by=request.user, **form.service_kwargs())
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Programme created."))
            return redirect("loyalty-programme-setup", programme_id=programme.pk)
    context = {"programmes": selectors.programmes_list(user=request.user), "form": form}
    return render(request, "web/loyalty/setup.html", context)


SETUP_FORMS = {
    "tier": (services.tier_create, gettext_lazy("Tier added.")),
    "rule": (services.earning_rule_create, gettext_lazy("Earning rule added.")),
    "reward": (services.reward_create, gettext_lazy("Reward added.")),
}


@login_required
@service_errors
def programme_setup_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    """A programme's tiers, earning rules and rewards, each with a form to add one."""
    require(request.user, "loyalty_programmes", "edit")
    programme = selectors.programme_get(user=request.user, programme_id=programme_id)
    tiers = selectors.tiers_list(user=request.user, programme_id=programme.pk)
    products = _products(request.user)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    data = request.POST if which else None
    forms = {
        "tier": TierForm(data if which == "tier" else None, prefix="tier"),
        "rule": EarningRuleForm(
            data if which == "rule" else None, prefix="rule", products=products
        ),
        "reward": RewardForm(
            data if which == "reward" else None, prefix="reward", products=products, tiers=tiers
        ),
    }
    form = forms.get(which)
    if form is not None and form.is_valid():
        create, done = SETUP_FORMS[which]
        try:
            create(by=request.user, programme_id=programme.pk, **form.service_kwargs())
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, done)
            return redirect("loyalty-programme-setup", programme_id=programme.pk)
    product_names = dict(products)
    context = {
        "programme": programme,
        "tiers": tiers,
        "rules": [
            (rule, product_names.get(rule.product_id or 0, rule.product_id))
            for rule in selectors.earning_rules_list(user=request.user, programme_id=programme.pk)
        ],
        "rewards": selectors.rewards_list(user=request.user, programme_id=programme.pk),
        "tier_form": forms["tier"],
        "rule_form": forms["rule"],
        "reward_form": forms["reward"],
    }
    return render(request, "web/loyalty/setup_programme.html", context)
