"""Sales services: lead conversion, web-form submissions, deal moves, orders and summaries."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import override_settings

from kith.core.errors import FieldError, Forbidden, NotFound
from kith.core.models import ChangeRecord, PublicFormPost
from kith.customers.models import Company, Consent, Contact
from kith.sales import services
from kith.sales.models import (
    Deal,
    DealStageChange,
    Lead,
    Order,
    OrderLine,
    PurchaseSummary,
    WebForm,
)
from kith.sales.money import money_format, money_parse
from kith.sales.services import LineInput, OrderImport
from tests.factories import make_company, make_contact
from tests.sales.factories import make_deal, make_pipeline, make_product

# The module (the package's `orders_import` name is the service function).
orders_import_module = importlib.import_module("kith.sales.services.orders_import")

# --- money -----------------------------------------------------------------------------------


def test_money_in_minor_units():
    assert money_parse("1,234.50", "USD") == 123450
    assert money_parse("1500000", "VND") == 1500000
    assert money_format(123450, "USD") == "1,234.50 USD"
    assert money_format(1500000, "VND") == "1,500,000 VND"
    with pytest.raises(ValueError):
        money_parse("abc", "USD")


# --- leads and conversion -----------------------------------------------------------------------


def test_lead_create_normalises_and_records_history(users):
    lead = services.lead_create(
        by=users.rep_a,
        full_name="  Lê Văn Tám ",
        email="Tam@HoaSen.VN",
        phone="+84 912 345 678",
        company_name="Hoa Sen",
        source_channel="event",
        campaign="Expo 2026",
    )
    assert (lead.full_name, lead.email, lead.phone) == (
        "Lê Văn Tám",
        "tam@hoasen.vn",
        "+84912345678",
    )
    assert lead.team_id == users.rep_a.team_id
    services.lead_update(by=users.rep_a, lead_id=lead.pk, version=lead.version, status="working")
    history = ChangeRecord.objects.filter(model="sales.lead", object_id=lead.pk)
    assert list(
        history.order_by("id").values_list("action", "field", "old_value", "new_value")
    ) == [
        ("create", "", "", ""),
        ("update", "status", "new", "working"),
    ]


def test_lead_bad_input_names_every_field(users):
    with pytest.raises(FieldError) as caught:
        services.lead_create(
            by=users.rep_a, full_name="", email="not-an-email", source_channel="pigeon"
        )
    assert set(caught.value.errors) == {"full_name", "email", "source_channel"}
    assert Lead.objects.count() == 0


def test_disqualify_needs_a_reason(users):
    lead = services.lead_create(by=users.rep_a, full_name="Ann")
    with pytest.raises(FieldError) as caught:
        services.lead_update(
            by=users.rep_a, lead_id=lead.pk, version=lead.version, status="disqualified"
        )
    assert set(caught.value.errors) == {"disqualified_reason"}
    lead = services.lead_update(
        by=users.rep_a,
        lead_id=lead.pk,
        version=lead.version,
        status="disqualified",
        disqualified_reason="No budget",
    )
    assert lead.disqualified_reason == "No budget"


def test_convert_creates_contact_company_and_deal(users, funnel):
    lead = services.lead_create(
        by=users.rep_a,
        full_name="Nguyễn An",
        email="an@sonha.vn",
        phone="+84 912 000 111",
        company_name="Sơn Hà",
    )
    result = services.lead_convert(
        by=users.rep_a, lead_id=lead.pk, create_deal=True, amount_minor=500000
    )
    assert result.contact_created and result.company_created
    assert result.company.domain == "sonha.vn"
    assert result.contact.company_id == result.company.pk
    assert result.contact.primary_email == "an@sonha.vn"
    assert result.deal.stage_id == funnel.qualify.pk
    assert result.deal.amount_minor == 500000
    assert list(result.deal.contacts.values_list("pk", flat=True)) == [result.contact.pk]
    lead.refresh_from_db()
    assert lead.status == "converted"
    assert (lead.contact_id, lead.company_id, lead.deal_id) == (
        result.contact.pk,
        result.company.pk,
        result.deal.pk,
    )
    fields = set(
        ChangeRecord.objects.filter(model="sales.lead", object_id=lead.pk).values_list(
            "field", flat=True
        )
    )
    assert "status" in fields


def test_convert_matches_existing_contact_by_email_and_company_by_domain(users):
    company = make_company(by=users.rep_a, name="Hoa Sen Trading", domain="hoasen.vn")
    contact = make_contact(by=users.rep_a, full_name="Wang Wei", emails=["wang@hoasen.vn"])
    lead = services.lead_create(
        by=users.rep_a, full_name="W. Wang", email="WANG@hoasen.vn", company_name="Hoa Sen"
    )
    result = services.lead_convert(by=users.rep_a, lead_id=lead.pk)
    assert result.contact.pk == contact.pk and not result.contact_created
    assert result.company.pk == company.pk and not result.company_created
    assert Contact.objects.count() == 1 and Company.objects.count() == 1
    # The matched contact had no company: it is linked to the matched one.
    contact.refresh_from_db()
    assert contact.company_id == company.pk


def test_convert_matches_existing_contact_by_phone(users):
    contact = make_contact(by=users.rep_a, full_name="Mai", emails=[], phones=["+84 912 345 678"])
    lead = services.lead_create(
        by=users.rep_a, full_name="Mai T.", email="mai@gmail.com", phone="+84-912-345-678"
    )
    result = services.lead_convert(by=users.rep_a, lead_id=lead.pk)
    assert result.contact.pk == contact.pk
    assert result.company is None  # gmail.com says nothing about a company
    assert Contact.objects.count() == 1


def test_convert_refuses_to_duplicate_another_teams_contact(users):
    make_contact(by=users.rep_b, full_name="Bình", emails=["binh@example.vn"])
    lead = services.lead_create(by=users.rep_a, full_name="Bình", email="binh@example.vn")
    with pytest.raises(FieldError) as caught:
        services.lead_convert(by=users.rep_a, lead_id=lead.pk)
    assert set(caught.value.errors) == {"email"}
    assert Contact.objects.count() == 1
    lead.refresh_from_db()
    assert lead.status == "new"


def test_convert_is_atomic(users):
    lead = services.lead_create(
        by=users.rep_a, full_name="Ann", email="ann@acme.vn", company_name="Acme"
    )
    # No pipeline exists: the deal fails, so neither contact nor company may stay.
    with pytest.raises(FieldError):
        services.lead_convert(by=users.rep_a, lead_id=lead.pk, create_deal=True)
    assert Contact.objects.count() == 0 and Company.objects.count() == 0
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_other_team_cannot_touch_lead(users):
    lead = services.lead_create(by=users.rep_a, full_name="Ann")
    with pytest.raises(NotFound):
        services.lead_update(by=users.rep_b, lead_id=lead.pk, version=lead.version, full_name="X")
    with pytest.raises(NotFound):
        services.lead_convert(by=users.rep_b, lead_id=lead.pk)


# --- web forms ----------------------------------------------------------------------------------


@pytest.fixture
def webform(users):
    return services.webform_create(
        by=users.admin,
        name="Contact us",
        slug="contact-us",
        fields=["phone", "company_name", "message"],
        consent_text="Send me news",
        thank_you_text="Thanks!",
        assignment="round_robin",
        team_id=users.rep_a.team_id,
        campaign="Spring",
    )


def test_only_admins_design_forms(users):
    with pytest.raises(Forbidden):
        services.webform_create(by=users.rep_a, name="x", slug="x", thank_you_text="t")


def test_form_submission_creates_lead_round_robin(users, webform):
    members = sorted([users.manager.pk, users.rep_a.pk, users.rep_a2.pk])  # team A, by id
    owners = []
    for n in range(4):
        lead = services.webform_submit(
            slug="contact-us",
            data={"full_name": f"Person {n}", "email": f"p{n}@acme.vn", "company_name": "Acme"},
            ip=f"10.0.0.{n}",
        )
        owners.append(lead.owner_id)
        assert (lead.source_channel, lead.campaign, lead.form_id) == (
            "web_form",
            "Spring",
            webform.pk,
        )
    assert owners == [members[0], members[1], members[2], members[0]]


def test_form_consent_recorded_for_existing_contact(users, webform):
    contact = make_contact(by=users.rep_a, full_name="Ann", emails=["ann@acme.vn"])
    lead = services.webform_submit(
        slug="contact-us",
        data={"full_name": "Ann", "email": "ann@acme.vn", "consent": "on"},
        ip="1.1.1.1",
    )
    assert lead.consent_text == "Send me news"
    consent = Consent.objects.get(contact=contact)
    assert (consent.channel, consent.purpose, consent.status) == ("email", "marketing", "granted")


def test_form_consent_kept_until_conversion(users, webform, funnel):
    lead = services.webform_submit(
        slug="contact-us",
        data={"full_name": "Ann", "email": "ann@acme.vn", "consent": "on"},
        ip="1.1.1.1",
    )
    assert Consent.objects.count() == 0
    result = services.lead_convert(by=users.manager, lead_id=lead.pk)
    assert Consent.objects.filter(contact=result.contact, status="granted").count() == 1


def test_form_consent_of_a_known_contact_goes_through_the_consent_service(users, webform):
    # The consent service writes the consent with its history row (the web form used to write
    # the consent alone, so the contact's history did not show it).
    contact = make_contact(by=users.rep_b, full_name="Ann", emails=["ann@acme.vn"])
    services.webform_submit(
        slug="contact-us",
        data={"full_name": "Ann", "email": "ANN@acme.vn", "consent": "on"},
        ip="1.1.1.1",
    )
    consent = Consent.objects.get(contact=contact)
    assert (consent.channel, consent.purpose, consent.status, consent.source) == (
        "email",
        "marketing",
        "granted",
        "web form contact-us",
    )
    row = ChangeRecord.objects.get(
        model="customers.contact", object_id=contact.pk, field="consent.email.marketing"
    )
    assert (row.action, row.new_value, row.actor_id) == ("update", "granted", None)


def test_form_honeypot_stores_nothing(webform):
    result = services.webform_submit(
        slug="contact-us",
        data={"full_name": "Bot", "email": "bot@spam.io", "website_url": "http://spam.io"},
        ip="6.6.6.6",
    )
    assert result is None
    assert Lead.objects.count() == 0


@override_settings(KITH_SALES_FORM_RATE=3, KITH_SALES_FORM_WINDOW=600)
def test_form_rate_limit_per_address(webform):
    data = {"full_name": "Ann", "email": "ann@acme.vn"}
    for _n in range(3):
        services.webform_submit(slug="contact-us", data=data, ip="9.9.9.9")
    with pytest.raises(services.RateLimited):
        services.webform_submit(slug="contact-us", data=data, ip="9.9.9.9")
    # Another address is not limited; the window passing lifts the limit.
    services.webform_submit(slug="contact-us", data=data, ip="9.9.9.8")
    later = datetime.now(UTC) + timedelta(seconds=601)
    services.webform_submit(slug="contact-us", data=data, ip="9.9.9.9", now=later)
    assert Lead.objects.count() == 5
    # Accepted posts count; the refused one does not. Addresses are stored hashed.
    posts = PublicFormPost.objects.filter(form=services.PUBLIC_FORM)
    assert posts.exclude(address_hash="9.9.9.9").count() == 5


def test_form_bad_input_stores_nothing_half(webform):
    with pytest.raises(FieldError) as caught:
        services.webform_submit(
            slug="contact-us",
            data={"full_name": "", "email": "nope", "phone": "12"},
            ip="2.2.2.2",
        )
    assert set(caught.value.errors) == {"full_name", "email", "phone"}
    assert Lead.objects.count() == 0
    assert WebForm.objects.get(pk=webform.pk).assigned_count == 0


def test_inactive_or_unknown_form_is_not_found(webform):
    with pytest.raises(NotFound):
        services.webform_submit(slug="nope", data={}, ip="1.1.1.1")


# --- deals ------------------------------------------------------------------------------------


def test_deal_takes_stage_probability_and_records_entry(users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel, amount_minor=100000)
    assert (deal.stage_id, deal.probability, deal.outcome) == (funnel.qualify.pk, 10, "open")
    change = DealStageChange.objects.get(deal=deal)
    assert (change.from_stage_id, change.to_stage_id, change.seconds_in_from) == (
        None,
        funnel.qualify.pk,
        None,
    )


def test_deal_move_records_time_in_stage(users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel)
    t0 = deal.stage_entered_at
    moved = services.deal_move(
        by=users.rep_a, deal_id=deal.pk, stage_id=funnel.proposal.pk, now=t0 + timedelta(hours=5)
    )
    assert (moved.stage_id, moved.probability, moved.closed_at) == (funnel.proposal.pk, 50, None)
    services.deal_move(
        by=users.rep_a,
        deal_id=deal.pk,
        stage_id=funnel.won.pk,
        now=t0 + timedelta(days=2, hours=5),
    )
    rows = list(
        DealStageChange.objects.filter(deal=deal)
        .order_by("at")
        .values_list("from_stage_id", "to_stage_id", "seconds_in_from")
    )
    assert rows == [
        (None, funnel.qualify.pk, None),
        (funnel.qualify.pk, funnel.proposal.pk, 5 * 3600),
        (funnel.proposal.pk, funnel.won.pk, 2 * 86400),
    ]
    deal.refresh_from_db()
    assert (deal.outcome, deal.probability) == ("won", 100)
    assert deal.closed_at == t0 + timedelta(days=2, hours=5)


def test_deal_move_to_lost_keeps_reason(users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel)
    deal = services.deal_move(
        by=users.rep_a, deal_id=deal.pk, stage_id=funnel.lost.pk, lost_reason="Price"
    )
    assert (deal.outcome, deal.lost_reason, deal.probability) == ("lost", "Price", 0)


def test_deal_move_permissions(users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel)
    with pytest.raises(NotFound):
        services.deal_move(by=users.rep_b, deal_id=deal.pk, stage_id=funnel.proposal.pk)
    # A teammate (team scope) may move it.
    services.deal_move(by=users.rep_a2, deal_id=deal.pk, stage_id=funnel.proposal.pk)
    assert Deal.objects.get(pk=deal.pk).stage_id == funnel.proposal.pk


def test_deal_move_refuses_stage_of_other_pipeline(users, funnel):
    from tests.sales.factories import make_pipeline

    other = make_pipeline(by=users.admin, name="Renewals")
    deal = make_deal(by=users.rep_a, funnel=funnel)
    with pytest.raises(FieldError) as caught:
        services.deal_move(by=users.rep_a, deal_id=deal.pk, stage_id=other.proposal.pk)
    assert set(caught.value.errors) == {"stage_id"}


def test_pipeline_needs_won_and_lost(users):
    with pytest.raises(FieldError) as caught:
        services.pipeline_create(by=users.admin, name="X", stages=[services.StageInput("Only", 10)])
    assert "stages" in caught.value.errors


def test_deal_update_validates(users, funnel, records_b_contact=None):
    deal = make_deal(by=users.rep_a, funnel=funnel)
    other = make_contact(by=users.rep_b, full_name="B")
    with pytest.raises(FieldError) as caught:
        services.deal_update(
            by=users.rep_a,
            deal_id=deal.pk,
            version=deal.version,
            probability=120,
            contact_ids=[other.pk],
        )
    assert set(caught.value.errors) == {"probability", "contact_ids"}


# --- orders -----------------------------------------------------------------------------------


def test_order_create_updates_summary(users):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA", price_minor=450)
    cup = make_product(by=users.admin, sku="CUP", price_minor=1200)
    first = services.order_create(
        by=users.rep_a,
        contact_id=contact.pk,
        ordered_at=datetime(2025, 3, 1, 10, tzinfo=UTC),
        lines=[LineInput(tea.pk, 3), LineInput(cup.pk, 1, unit_price_minor=1000)],
    )
    assert first.total_minor == 3 * 450 + 1000
    assert first.team_id == contact.team_id
    services.order_create(
        by=users.rep_a,
        contact_id=contact.pk,
        ordered_at=datetime(2025, 6, 1, 10, tzinfo=UTC),
        lines=[LineInput(tea.pk, 2)],
    )
    summary = PurchaseSummary.objects.get(contact=contact)
    assert (summary.order_count, summary.total_minor) == (2, 2350 + 900)
    assert summary.first_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert summary.last_at == datetime(2025, 6, 1, 10, tzinfo=UTC)
    services.order_status_set(
        by=users.rep_a, order_id=first.pk, version=first.version, status="cancelled",
        reason="Out of stock",
    )  # fmt: skip
    summary = PurchaseSummary.objects.get(contact=contact)
    assert (summary.order_count, summary.total_minor) == (1, 900)
    assert summary.first_at == datetime(2025, 6, 1, 10, tzinfo=UTC)


def test_order_bad_input(users):
    contact_b = make_contact(by=users.rep_b, full_name="B")
    with pytest.raises(FieldError) as caught:
        services.order_create(
            by=users.rep_a,
            contact_id=contact_b.pk,
            lines=[LineInput(999, 0)],
            currency="dollars",
        )
    assert set(caught.value.errors) == {
        "contact_id",
        "currency",
        "lines.0.product_id",
        "lines.0.quantity",
    }
    assert Order.objects.count() == 0


def test_orders_import_bulk(users):
    a = make_contact(by=users.rep_a, full_name="A")
    b = make_contact(by=users.rep_a, full_name="B")
    tea = make_product(by=users.admin, sku="TEA", price_minor=450)
    when = datetime(2024, 1, 5, 9, tzinfo=UTC)
    result = services.orders_import(
        by=users.rep_a,
        orders=[
            OrderImport(
                contact_id=a.pk, ordered_at=when, lines=[(tea.pk, 2, 400), (tea.pk, 1, 450)]
            ),
            OrderImport(
                contact_id=a.pk, ordered_at=when + timedelta(days=30), lines=[(tea.pk, 1, 500)]
            ),
            OrderImport(
                contact_id=b.pk, ordered_at=when, lines=[(tea.pk, 10, 450)], currency="VND"
            ),
        ],
    )
    assert (result.orders, result.lines) == (3, 4)
    assert OrderLine.objects.count() == 4
    orders = list(Order.objects.order_by("id").values_list("contact_id", "total_minor", "team_id"))
    assert orders == [(a.pk, 1250, a.team_id), (a.pk, 500, a.team_id), (b.pk, 4500, b.team_id)]
    summary = PurchaseSummary.objects.get(contact=a)
    assert (summary.order_count, summary.total_minor, summary.currency) == (2, 1750, "USD")
    assert summary.last_at == when + timedelta(days=30)
    assert PurchaseSummary.objects.get(contact=b).currency == "VND"
    # Ids continue after the bulk rows.
    order = services.order_create(by=users.rep_a, contact_id=b.pk, lines=[LineInput(tea.pk, 1)])
    assert order.pk == Order.objects.order_by("-id").values_list("id", flat=True)[1] + 1


def test_orders_import_all_or_nothing(users):
    a = make_contact(by=users.rep_a, full_name="A")
    b = make_contact(by=users.rep_b, full_name="B")
    tea = make_product(by=users.admin, sku="TEA")
    when = datetime(2024, 1, 5, tzinfo=UTC)
    with pytest.raises(FieldError) as caught:
        services.orders_import(
            by=users.rep_a,
            orders=[
                OrderImport(contact_id=a.pk, ordered_at=when, lines=[(tea.pk, 1, 100)]),
                OrderImport(contact_id=b.pk, ordered_at=when, lines=[(tea.pk, 1, 100)]),
                OrderImport(contact_id=a.pk, ordered_at=when, lines=[(tea.pk, 0, 100)]),
            ],
        )
    assert set(caught.value.errors) == {"orders.1.contact_id", "orders.2.lines.0.quantity"}
    assert Order.objects.count() == 0 and OrderLine.objects.count() == 0


def _plain_indexes(table: str) -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name
        for name, c in found.items()
        if (c["index"] or c["foreign_key"]) and not c["primary_key"]
    }


def test_orders_import_streams_chunks_and_adds_to_summaries(users, monkeypatch):
    monkeypatch.setattr(orders_import_module, "IMPORT_CHUNK", 2)  # several chunks in one call
    a = make_contact(by=users.rep_a, full_name="A")
    tea = make_product(by=users.admin, sku="TEA")
    indexes = _plain_indexes(Order._meta.db_table)
    assert "order_contact_date_idx" in indexes
    when = datetime(2024, 3, 1, 12, tzinfo=UTC)
    seen: list[tuple[int, int]] = []
    first = services.orders_import(
        by=users.rep_a,
        orders=(
            OrderImport(contact_id=a.pk, ordered_at=when + timedelta(days=d), lines=[(tea.pk, 1, 100)])
            for d in range(5)
        ),
        progress=lambda orders, lines: seen.append((orders, lines)),
    )  # fmt: skip
    assert (first.orders, first.lines) == (5, 5)
    assert seen == [(2, 2), (4, 4), (5, 5)]
    # The first load dropped and rebuilt the plain indexes; they are all back.
    assert _plain_indexes(Order._meta.db_table) == indexes
    # A later import into the filled table adds to the summary: earlier first, later last.
    services.orders_import(
        by=users.rep_a,
        orders=[
            OrderImport(contact_id=a.pk, ordered_at=when - timedelta(days=9), lines=[(tea.pk, 2, 50)]),
            OrderImport(contact_id=a.pk, ordered_at=when + timedelta(days=99), lines=[(tea.pk, 1, 7)]),
            OrderImport(contact_id=a.pk, ordered_at=when, lines=[(tea.pk, 1, 5)], status="refunded"),
        ],
    )  # fmt: skip
    summary = PurchaseSummary.objects.get(contact=a)
    assert (summary.order_count, summary.total_minor) == (7, 607)
    assert (summary.first_at, summary.last_at) == (
        when - timedelta(days=9),
        when + timedelta(days=99),
    )
    # The same figures as recomputing from the orders.
    services.purchase_summaries_refresh(contact_ids=[a.pk])
    again = PurchaseSummary.objects.get(contact=a)
    assert (again.order_count, again.total_minor, again.first_at, again.last_at) == (
        7, 607, summary.first_at, summary.last_at,
    )  # fmt: skip


def test_orders_import_error_in_a_later_chunk_writes_nothing(users, monkeypatch):
    monkeypatch.setattr(orders_import_module, "IMPORT_CHUNK", 2)
    a = make_contact(by=users.rep_a, full_name="A")
    tea = make_product(by=users.admin, sku="TEA")
    indexes = _plain_indexes(Order._meta.db_table)
    when = datetime(2024, 1, 5, tzinfo=UTC)
    good = OrderImport(contact_id=a.pk, ordered_at=when, lines=[(tea.pk, 1, 100)])
    bad = OrderImport(contact_id=a.pk, ordered_at=when, lines=[(tea.pk + 999, 1, 100)])
    with pytest.raises(FieldError) as caught:
        services.orders_import(by=users.rep_a, orders=[good, good, good, bad])
    assert set(caught.value.errors) == {"orders.3.lines.0.product_id"}
    assert Order.objects.count() == 0 and OrderLine.objects.count() == 0
    assert _plain_indexes(Order._meta.db_table) == indexes


def test_product_sku_unique(users):
    make_product(by=users.admin, sku="TEA")
    with pytest.raises(FieldError) as caught:
        make_product(by=users.admin, sku="TEA")
    assert set(caught.value.errors) == {"sku"}


def test_deal_expected_close_parsed(users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel, expected_close="2026-03-31")
    assert deal.expected_close == date(2026, 3, 31)


# --- pipeline editing ---------------------------------------------------------------------------


def test_pipeline_update_renames_reorders_adds_and_flags_stages(users, funnel):
    from kith.sales.models import Stage
    from kith.sales.services import StageInput

    deal = make_deal(by=users.rep_a, funnel=funnel, name="In proposal")
    services.deal_move(by=users.rep_a, deal_id=deal.pk, stage_id=funnel.proposal.pk)
    f = funnel
    services.pipeline_update(
        by=users.admin,
        pipeline_id=f.pipeline.pk,
        name="Retail",
        stages=[
            StageInput("Discovery", 5),  # new, first
            StageInput("Proposal sent", 40, "open", f.proposal.pk),  # renamed, re-weighted
            StageInput("Qualify", 10, "open", f.qualify.pk),  # moved after the proposal
            StageInput("Won", 100, "won", f.won.pk),
            StageInput("Lost", 0, "lost", f.lost.pk),
        ],  # Negotiation left out: deleted (no deals in it)
    )
    stages = list(Stage.objects.filter(pipeline=f.pipeline).order_by("position"))
    assert [(s.name, s.probability, s.position) for s in stages] == [
        ("Discovery", 5, 0), ("Proposal sent", 40, 1), ("Qualify", 10, 2), ("Won", 100, 3),
        ("Lost", 0, 4),
    ]  # fmt: skip
    f.pipeline.refresh_from_db()
    assert f.pipeline.name == "Retail"
    # Existing deals keep their probability; the history names the change.
    deal.refresh_from_db()
    assert deal.stage_id == f.proposal.pk and deal.probability == 50
    assert ChangeRecord.objects.filter(model="sales.pipeline", object_id=f.pipeline.pk).exists()


def test_pipeline_update_refusals_and_flag_change_moves_deal_outcome(users, funnel):
    from kith.sales.services import StageInput

    f = funnel
    deal = make_deal(by=users.rep_a, funnel=f, name="Qualifying")
    keep = [StageInput("Won", 100, "won", f.won.pk), StageInput("Lost", 0, "lost", f.lost.pk)]
    with pytest.raises(Forbidden):
        services.pipeline_update(by=users.rep_a, pipeline_id=f.pipeline.pk, name="Mine")
    with pytest.raises(FieldError) as caught:  # Qualify holds a deal
        services.pipeline_update(
            by=users.admin, pipeline_id=f.pipeline.pk,
            stages=[StageInput("Proposal", 50, "open", f.proposal.pk), *keep],
        )  # fmt: skip
    assert "Qualify" in caught.value.errors["stages"]
    with pytest.raises(FieldError) as caught:  # no won stage left
        services.pipeline_update(
            by=users.admin, pipeline_id=f.pipeline.pk,
            stages=[StageInput("Qualify", 10, "open", f.qualify.pk), keep[1]],
        )  # fmt: skip
    assert set(caught.value.errors) == {"stages"}
    other = make_pipeline(by=users.admin, name="Other")
    with pytest.raises(FieldError) as caught:  # a stage of another pipeline
        services.pipeline_update(
            by=users.admin, pipeline_id=f.pipeline.pk,
            stages=[StageInput("Qualify", 10, "open", other.qualify.pk), *keep],
        )  # fmt: skip
    assert "stages.0.id" in caught.value.errors
    # Flagging the deal's stage as won closes the deal with it.
    services.pipeline_update(
        by=users.admin, pipeline_id=f.pipeline.pk,
        stages=[StageInput("Signed", 100, "won", f.qualify.pk),
                StageInput("Proposal", 50, "open", f.proposal.pk),
                StageInput("Negotiation", 75, "open", f.negotiation.pk), *keep],
    )  # fmt: skip
    deal.refresh_from_db()
    assert deal.outcome == "won" and deal.closed_at is not None


def test_deal_update_records_contact_and_product_changes(users, funnel):
    ann = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA")
    deal = make_deal(by=users.rep_a, funnel=funnel)
    services.deal_update(
        by=users.rep_a,
        deal_id=deal.pk,
        version=deal.version,
        contact_ids=[ann.pk],
        product_ids=[tea.pk],
    )
    changes = dict(
        ChangeRecord.objects.filter(
            model="sales.deal", object_id=deal.pk, action="update"
        ).values_list("field", "new_value")
    )
    assert changes["contacts"] == f"#{ann.pk}" and changes["products"] == "TEA"


def test_orders_import_forgets_old_contacts_without_losing_current_ones(users, monkeypatch):
    # Chunks of 2 orders, a cache of 3 contacts: the cache overflows and is cleared while a
    # chunk's contacts are being looked up; every order must still find its contact.
    monkeypatch.setattr(orders_import_module, "IMPORT_CHUNK", 2)
    monkeypatch.setattr(orders_import_module, "IMPORT_CONTACT_CACHE", 3)
    people = [make_contact(by=users.rep_a, full_name=f"C{n}") for n in range(5)]
    tea = make_product(by=users.admin, sku="TEA")
    when = datetime(2024, 1, 5, tzinfo=UTC)
    order = [0, 1, 1, 2, 3, 0, 4, 1, 2, 3]
    result = services.orders_import(
        by=users.rep_a,
        orders=[
            OrderImport(contact_id=people[i].pk, ordered_at=when, lines=[(tea.pk, 1, 10)])
            for i in order
        ],
    )
    assert result.orders == 10
    assert sorted(PurchaseSummary.objects.values_list("order_count", flat=True)) == [1, 2, 2, 2, 3]
