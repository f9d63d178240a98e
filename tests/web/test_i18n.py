"""The UI in English, Simplified Chinese and Vietnamese; the choice is kept on the user."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.customers.test_web_contacts import edit_data


def switch(client, language, next_url="/contacts/"):
    return client.post(reverse("language-set"), {"language": language, "next": next_url})


@pytest.mark.parametrize(
    ("language", "strings"),
    [
        (
            "zh-hans",
            ["<h1>联系人</h1>", "新建联系人", "潜在客户", "退出登录", "导出 CSV"],
        ),
        (
            "vi",
            ["<h1>Liên hệ</h1>", "Liên hệ mới", "Khách hàng tiềm năng", "Đăng xuất", "Xuất CSV"],
        ),
    ],
)
def test_language_switch_renders_the_language_and_saves_it(
    web_for, users, records, language, strings
):
    client = web_for(users.rep_a)
    response = switch(client, language)
    assert response.status_code == 302
    assert response["Location"] == "/contacts/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    users.rep_a.refresh_from_db()
    assert users.rep_a.language == language
    page = client.get("/contacts/")
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    for text in strings:
        assert text in html
    assert "Sign out" not in html


def test_back_to_english(web_for, users):
    client = web_for(users.rep_a)
    switch(client, "vi")
    switch(client, "en")
    assert "<h1>Contacts</h1>" in client.get("/contacts/").content.decode()


def test_unknown_language_is_ignored(web_for, users):
    client = web_for(users.rep_a)
    switch(client, "xx")
    users.rep_a.refresh_from_db()
    assert users.rep_a.language == ""


def test_signing_in_applies_the_users_saved_language(client, users):
    users.rep_b.language = "vi"
    users.rep_b.save()
    response = client.post(reverse("login"), {"username": "rep_b", "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "vi"
    assert "Tìm liên hệ và công ty" in client.get(reverse("home")).content.decode()


def test_login_page_language_switch_for_anonymous_visitors(client, db):
    switch(client, "zh-hans", next_url="/login/")
    html = client.get(reverse("login")).content.decode()
    assert "<h1>登录</h1>" in html
    assert "用户名" in html  # Django's own auth form label, from Django's catalogue


def test_service_errors_and_stale_message_are_translated(web_for, users, records):
    from kith.customers import services

    client = web_for(users.rep_a)
    switch(client, "vi")
    url = reverse("contact-edit", kwargs={"contact_id": records.contact_a.pk})
    bad = client.post(url, edit_data(records.contact_a, **{"emails-0-value": "sai@"}))
    assert bad.context["form"].errors == {
        "emails-0-value": ["“sai@” không phải là địa chỉ email hợp lệ."]
    }

    switch(client, "zh-hans")
    opened = edit_data(records.contact_a)
    services.contact_update(by=users.rep_a2, contact_id=records.contact_a.pk, version=1, title="X")
    stale = client.post(url, opened)
    assert "自您打开以来，此联系人已被他人修改；请重新加载以查看其修改。" in stale.content.decode()


def test_history_labels_are_translated(web_for, users, records):
    from kith.customers import services

    services.contact_update(
        by=users.rep_a, contact_id=records.contact_a.pk, version=1, lifecycle_stage="customer"
    )
    client = web_for(users.rep_a)
    switch(client, "zh-hans")
    # The contact's history is in its timeline (shown once, #17).
    html = client.get(
        reverse("contact-timeline", kwargs={"contact_id": records.contact_a.pk})
    ).content.decode()
    assert "生命周期阶段" in html
    assert "潜在客户 → 客户" in html
