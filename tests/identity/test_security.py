"""Sign-in throttling and lockout (per account and per address), the security audit trail,
and the start-up refusal of the public secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kith.identity.models import SecurityEvent
from kith.identity.security import security_events_filtered, signin_lockout
from kith.identity.services import api_token_create, api_token_revoke, user_update
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("english")
Kind = SecurityEvent.Kind


def _sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_lock_the_account_even_for_the_right_one(users, settings):
    settings.KITH_SIGNIN_MAX_FAILURES = 5
    client = Client()
    for _n in range(5):
        assert _sign_in(client, "rep_a", "wrong").status_code == 200
    response = _sign_in(client, "rep_a", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    kinds = list(
        SecurityEvent.objects.filter(username="rep_a")
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )
    assert kinds == [Kind.SIGNIN_FAILED] * 5 + [Kind.SIGNIN_LOCKED]
    # Another account from another address is not affected.
    assert _sign_in(Client(), "rep_b", PASSWORD, address="10.0.0.2").status_code == 302


def test_lockout_ends_after_the_lockout_time(users, settings):
    settings.KITH_SIGNIN_MAX_FAILURES = 3
    settings.KITH_SIGNIN_LOCKOUT = 600
    for _n in range(3):
        _sign_in(Client(), "rep_a", "wrong")
    assert signin_lockout(username="rep_a", address="10.9.9.9") is not None
    later = timezone.now() + timedelta(seconds=601)
    assert signin_lockout(username="rep_a", address="10.9.9.9", now=later) is None


def test_a_good_sign_in_resets_the_account_count(users, settings):
    settings.KITH_SIGNIN_MAX_FAILURES = 3
    for _n in range(2):
        _sign_in(Client(), "rep_a", "wrong")
    assert _sign_in(Client(), "rep_a", PASSWORD).status_code == 302
    for _n in range(2):
        _sign_in(Client(), "rep_a", "wrong")
    assert _sign_in(Client(), "rep_a", PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(users, settings):
    settings.KITH_SIGNIN_MAX_FAILURES = 100
    settings.KITH_SIGNIN_MAX_FAILURES_ADDRESS = 4
    for name in ["a1", "a2", "a3", "a4"]:
        _sign_in(Client(), name, "wrong", address="192.0.2.7")
    assert _sign_in(Client(), "rep_a", PASSWORD, address="192.0.2.7").status_code == 429
    assert _sign_in(Client(), "rep_a", PASSWORD, address="192.0.2.8").status_code == 302
    # The address is only ever stored hashed.
    assert not SecurityEvent.objects.filter(address_hash__contains="192.0.2").exists()


def test_forwarded_for_counts_only_behind_a_trusted_proxy(users, settings):
    settings.KITH_SIGNIN_MAX_FAILURES = 100
    settings.KITH_SIGNIN_MAX_FAILURES_ADDRESS = 2
    settings.KITH_TRUST_X_FORWARDED_FOR = True
    proxy = "127.0.0.1"
    for _n in range(2):
        Client().post(
            "/login/",
            {"username": "x", "password": "y"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
    blocked = Client().post(
        "/login/",
        {"username": "rep_a", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    other = Client().post(
        "/login/",
        {"username": "rep_a", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert (blocked.status_code, other.status_code) == (429, 302)


def test_security_events_of_tokens_roles_and_passwords(users, web_for):
    token, _secret = api_token_create(user=users.rep_a, name="script")
    api_token_revoke(by=users.rep_a, token_id=token.pk)
    user_update(by=users.admin, user_id=users.rep_a.pk, role_slug="manager")
    response = web_for(users.rep_a).post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password": "another-long-pass-77",
            "new_password_again": "another-long-pass-77",
        },
    )
    assert response.status_code == 302
    events = list(
        SecurityEvent.objects.order_by("id").values_list("kind", "target", "actor__username")
    )
    assert (Kind.TOKEN_CREATED, f"token:{token.pk}", "rep_a") in events
    assert (Kind.TOKEN_REVOKED, f"token:{token.pk}", "rep_a") in events
    assert (Kind.ROLE_CHANGED, f"user:{users.rep_a.pk}", "admin") in events
    assert (Kind.PASSWORD_CHANGED, f"user:{users.rep_a.pk}", "rep_a") in events


def test_the_trail_is_for_admins_filterable_and_exported_as_csv(users, web_for):
    _sign_in(Client(), "rep_a", "wrong")
    _sign_in(Client(), "rep_b", PASSWORD)
    assert security_events_filtered(by=users.admin, kind=Kind.SIGNIN_FAILED).count() == 1
    page = web_for(users.admin).get("/settings/security/", {"kind": "signin_failed"})
    assert page.status_code == 200
    assert "rep_a" in page.content.decode() and "rep_b" not in page.content.decode()
    bad = web_for(users.admin).get("/settings/security/", {"since": "0001-01-01"})
    assert bad.status_code == 400
    assert web_for(users.rep_a).get("/settings/security/").status_code == 403
    export = web_for(users.admin).get("/settings/security/export.csv")
    body = b"".join(export.streaming_content).decode()
    assert body.splitlines()[0] == "at,kind,username,actor_id,address_hash,target,detail"
    assert "signin_failed,rep_a" in body
    assert SecurityEvent.objects.filter(kind=Kind.EXPORT, actor=users.admin).exists()


def test_security_page_query_count(users, web_for, django_assert_max_num_queries):
    for _n in range(30):
        _sign_in(Client(), "rep_a", "wrong", address="203.0.113.5")
    client = web_for(users.admin)
    with django_assert_max_num_queries(12):
        assert client.get("/settings/security/").status_code == 200


def _settings_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KITH_")}
    clean.update({"DJANGO_SETTINGS_MODULE": "kith.settings", **env})
    clean["KITH_VAR_DIR"] = env.get("KITH_VAR_DIR", os.environ.get("KITH_VAR_DIR", "var"))
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120
    )


def test_the_public_secret_key_is_refused_with_debug_off(tmp_path):
    code = "import django; django.setup(); import kith.wsgi"
    refused = _settings_process({"KITH_VAR_DIR": str(tmp_path)}, code)
    assert refused.returncode != 0
    assert "KITH_SECRET_KEY is not set" in refused.stderr
    allowed = _settings_process({"KITH_VAR_DIR": str(tmp_path), "KITH_SECRET_KEY": "k" * 60}, code)
    assert allowed.returncode == 0, allowed.stderr
    debug = _settings_process({"KITH_VAR_DIR": str(tmp_path), "KITH_DEBUG": "true"}, code)
    assert debug.returncode == 0, debug.stderr


def test_management_commands_refuse_the_public_key(tmp_path):
    code = "import django; django.setup(); from django.core.management import call_command; call_command('check')"
    refused = _settings_process({"KITH_VAR_DIR": str(tmp_path)}, code)
    assert refused.returncode != 0
    assert "kith.E001" in refused.stderr


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    production = {
        "KITH_VAR_DIR": str(tmp_path),
        "KITH_SECRET_KEY": "Qm3-xV8pL2_nR7tY5wZ1aB4cD6eF9gH0iJkLmNoPqRsTuVwXyZ0123456789ab",
        "KITH_ALLOWED_HOSTS": "crm.example.com",
        "KITH_BASE_URL": "https://crm.example.com",
        "KITH_CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
        "KITH_TRUST_X_FORWARDED_FOR": "true",
        "KITH_HSTS_INCLUDE_SUBDOMAINS": "true",
        "KITH_HSTS_PRELOAD": "true",
    }
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = _settings_process(production, code)
    assert result.returncode == 0, result.stderr
    settings_code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    values = _settings_process(production, settings_code)
    assert values.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    plain = _settings_process(
        {"KITH_VAR_DIR": str(tmp_path)}, settings_code.replace(", s.SECURE_PROXY_SSL_HEADER", "")
    )
    assert plain.stdout.split() == ["False", "False", "False", "0"]


def test_every_page_carries_a_content_security_policy(users, web_for):
    response = web_for(users.admin).get("/contacts/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_exports_merges_and_settings_changes_are_audited(users, records, web_for):
    from kith.customers.services import custom_field_create
    from kith.intake.merging import records_merge

    client = web_for(users.admin)
    b"".join(client.get("/contacts/export.csv").streaming_content)
    assert client.get("/data/export/companies.xlsx").status_code == 200
    custom_field_create(by=users.admin, model="customers.contact", key="budget", label="Budget")
    records_merge(
        by=users.admin,
        label="customers.contact",
        survivor_id=records.contact_a.pk,
        merged_ids=[records.contact_b.pk],
    )
    events = set(SecurityEvent.objects.values_list("kind", "target"))
    assert (Kind.EXPORT, "contacts") in events and (Kind.EXPORT, "companies") in events
    assert (Kind.MERGE, f"customers.contact:{records.contact_a.pk}") in events
    assert any(kind == Kind.SETTINGS_CHANGED for kind, _t in events)
    # No customer data in the trail: ids and codes only.
    text = str(list(SecurityEvent.objects.values_list("detail", "target")))
    assert records.contact_b.full_name not in text


def _code(secret: str, at: float) -> str:
    import pyotp

    return pyotp.TOTP(secret).at(int(at))


def test_two_factor_sign_in(users, web_for, settings):
    import time

    from kith.identity.two_factor import totp_check, totp_enable, totp_secret_new

    settings.KITH_SIGNIN_MAX_FAILURES = 3
    secret = totp_secret_new()
    now = time.time()
    with pytest.raises(Exception, match="not right"):
        totp_enable(user=users.rep_a, secret=secret, code="000000", now=now)
    totp_enable(user=users.rep_a, secret=secret, code=_code(secret, now - 30), now=now)
    # The password alone no longer signs in: the code page comes next.
    client = Client()
    response = _sign_in(client, "rep_a", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/login/two-factor/"
    assert "_auth_user_id" not in client.session
    wrong = client.post("/login/two-factor/", {"code": "123456"})
    assert wrong.status_code == 400 and "_auth_user_id" not in client.session
    good = client.post("/login/two-factor/", {"code": _code(secret, time.time())})
    assert good.status_code == 302 and client.session["_auth_user_id"] == str(users.rep_a.pk)
    # A code works once.
    users.rep_a.refresh_from_db()
    assert not totp_check(user=users.rep_a, code=_code(secret, time.time()))
    kinds = list(SecurityEvent.objects.filter(username="rep_a").values_list("kind", flat=True))
    assert Kind.TWO_FACTOR_ENABLED in kinds and Kind.SIGNIN in kinds
    assert Kind.SIGNIN_FAILED in kinds


def test_wrong_codes_lock_the_account(users, settings):
    import time

    from kith.identity.two_factor import totp_enable, totp_secret_new

    settings.KITH_SIGNIN_MAX_FAILURES = 3
    secret = totp_secret_new()
    totp_enable(user=users.rep_a, secret=secret, code=_code(secret, time.time()))
    client = Client()
    _sign_in(client, "rep_a", PASSWORD)
    for _n in range(3):
        client.post("/login/two-factor/", {"code": "111111"})
    locked = client.post("/login/two-factor/", {"code": _code(secret, time.time() + 30)})
    assert locked.status_code in {302, 429}
    assert "_auth_user_id" not in client.session


def test_admins_must_set_up_two_factor_when_required(users, web_for, settings):
    import time

    settings.KITH_2FA_REQUIRED_FOR_ADMINS = True
    admin = web_for(users.admin)
    response = admin.get("/contacts/")
    assert response.status_code == 302 and response["Location"] == "/account/two-factor/"
    assert web_for(users.rep_a).get("/contacts/").status_code == 200
    page = admin.get("/account/two-factor/")
    secret = page.context["secret"]
    turned_on = admin.post("/account/two-factor/", {"code": _code(secret, time.time())})
    assert turned_on.status_code == 302
    assert admin.get("/contacts/").status_code == 200


def test_the_password_policy_asks_for_ten_characters(users):
    from kith.core.errors import FieldError
    from kith.identity.services import user_password_set

    with pytest.raises(FieldError) as exc:
        user_password_set(by=users.admin, user_id=users.rep_a.pk, password="Zq8#pLm2x")
    assert "at least 10 characters" in str(exc.value)
    user_password_set(by=users.admin, user_id=users.rep_a.pk, password="Zq8#pLm2xW")


def test_the_api_docs_page_loads_nothing_from_elsewhere_and_no_inline_script(users, web_for):
    import re

    body = web_for(users.admin).get("/api/v1/docs").content.decode()
    assert "https://" not in body and "http://" not in body
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in body  # from npm swagger-ui-dist
    inline = [s for s in re.findall(r"<script([^>]*)>", body) if "src=" not in s]
    assert all('type="application/json"' in s for s in inline)
