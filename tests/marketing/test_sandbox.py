"""The template sandbox: merge fields, conditions and loops render; nothing reaches a model, the
database or the settings; previews and test sends per language."""

from __future__ import annotations

import contextlib
from email.header import decode_header, make_header

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from kith.core.errors import FieldError
from kith.customers.models import Contact
from kith.marketing.sandbox import TemplateError, context_check, template_parse, template_render
from kith.marketing.services.templates import template_create, template_preview, template_test_send
from tests.factories import make_contact

CONTEXT = {
    "first_name": "Lan",
    "segments": ["VIP"],
    "last_order": {"number": "SO-7", "total": "12.50 USD"},
    "recommendations": [{"name": "Tea"}, {"name": "Cups"}],
    "score": 3,
}


def test_merge_fields_conditions_loops_filters() -> None:
    source = (
        'Hi {{ first_name|upper }} {{ missing|default:"friend" }}. '
        '{% if "VIP" in segments %}VIP{% elif last_order %}buyer{% else %}new{% endif %} '
        "{% if not missing %}no-missing{% endif %} {% if score >= 3 %}hot{% endif %} "
        "{% for p in recommendations %}[{{ p.name }}]{% endfor %} {{ last_order.number }} {{ recommendations.1.name }}"
    )
    assert (
        template_render(source, CONTEXT)
        == "Hi LAN friend. VIP no-missing hot [Tea][Cups] SO-7 Cups"
    )


def test_html_escapes_merge_values_not_the_template() -> None:
    out = template_render("<b>{{ name }}</b>", {"name": "<script>x</script>"}, html=True)
    assert out == "<b>&lt;script&gt;x&lt;/script&gt;</b>"


def test_template_cannot_reach_models_database_or_settings(users) -> None:
    contact = make_contact(by=users.admin, full_name="Secret")
    with pytest.raises(TypeError):
        template_render("{{ c.delete }}", {"c": contact})
    with pytest.raises(TypeError):
        template_render("{{ q.count }}", {"q": Contact.objects.all()})
    with pytest.raises(TypeError):
        template_render("{{ f }}", {"f": len})
    for bad in (
        "{% load static %}",
        "{% include 'x.html' %}",
        "{% debug %}",
        "{{ x|safe }}",
        "{% extends 'a' %}",
    ):
        with pytest.raises(TemplateError):
            template_parse(bad)
    probes = (
        "{{ settings.SECRET_KEY }}{{ __class__ }}{{ first_name.__class__ }}{{ first_name.upper }}"
        "{{ recommendations.__len__ }}{{ request.user }}"
    )
    with CaptureQueriesContext(connection) as queries:
        out = template_render(probes, CONTEXT)
    assert out == ""
    assert len(queries) == 0


@given(st.text(max_size=200))
def test_any_text_parses_or_fails_cleanly(source: str) -> None:
    with contextlib.suppress(TemplateError):
        template_render(source, CONTEXT)


def test_context_check_accepts_plain_data() -> None:
    context_check(CONTEXT)
    with pytest.raises(TypeError):
        context_check({"x": object()})


def test_bad_template_is_refused_naming_the_part(users) -> None:
    with pytest.raises(FieldError) as bad:
        template_create(
            by=users.admin, name="Bad", versions={"en": {"subject": "x", "text": "{% if a %}open"}}
        )
    assert list(bad.value.errors) == ["versions.en.text"]
    with pytest.raises(FieldError) as bad:
        template_create(by=users.admin, name="Bad", versions={"fr": {"subject": "x", "text": "y"}})
    assert list(bad.value.errors) == ["versions.fr"]


def test_preview_as_recipient_in_their_language_and_test_send(users, template, smtp) -> None:
    viet = make_contact(
        by=users.rep_b, full_name="Nguyễn Lan", first_name="Lan",
        addresses=[{"line1": "1 Lê Lợi", "country": "VN"}],
    )  # fmt: skip
    preview = template_preview(by=users.rep_b, template_id=template.pk, contact_id=viet.pk)
    assert (preview.language, preview.subject, preview.text) == (
        "vi",
        "Khuyến mãi mùa xuân Lan",
        "Xin chào Lan",
    )
    english = template_preview(
        by=users.rep_b, template_id=template.pk, contact_id=viet.pk, language="en"
    )
    assert english.subject == "Spring sale for Lan"
    from kith.core.errors import NotFound

    with pytest.raises(NotFound):  # rep_a does not see rep_b's contact
        template_preview(by=users.rep_a, template_id=template.pk, contact_id=viet.pk)
    template_test_send(
        by=users.rep_b, template_id=template.pk, contact_id=viet.pk, to="me@kith.example"
    )
    assert smtp.recipients == [["me@kith.example"]]
    subject = str(make_header(decode_header(smtp.messages[0]["Subject"])))
    assert subject == "[Test] Khuyến mãi mùa xuân Lan"
