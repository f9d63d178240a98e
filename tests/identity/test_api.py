"""Authentication (tokens and the browser session) and the /me and /tokens endpoints."""

from __future__ import annotations

from django.test import Client

from kith.identity import services as identity
from kith.identity.models import ApiToken

ME = "/api/v1/me"
TOKENS = "/api/v1/tokens"
CSRF = "k" * 32  # a valid CSRF secret; Django accepts it unmasked in the header


def test_no_credentials_is_401_json(db):
    response = Client().get(ME)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["WWW-Authenticate"] == 'Bearer realm="kith"'
    assert "Authorization: Bearer" in response.json()["detail"]


def test_anonymous_write_is_401_not_csrf_403(db):
    response = Client(enforce_csrf_checks=True).delete(f"{TOKENS}/1")

    assert response.status_code == 401


def test_token_authenticates_as_its_user(api_for, users):
    response = api_for(users.rep_a).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == users.rep_a.pk
    assert body["username"] == "rep_a"
    assert body["name"] == "Ann"
    assert body["team"] == {"id": users.rep_a.team_id, "name": "Team A"}
    assert body["role"]["slug"] == "sales_rep"
    assert body["is_superuser"] is False


def test_revoked_token_is_401(users):
    token, secret = identity.api_token_create(user=users.rep_a, name="script")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get(ME).status_code == 200

    identity.api_token_revoke(by=users.rep_a, token_id=token.pk)

    response = api.get(ME)
    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)


def test_wrong_secret_and_garbage_tokens_are_401(users):
    token, secret = identity.api_token_create(user=users.rep_a, name="script")
    forged = f"kith_{token.prefix}_{'x' * 43}"

    for header in [f"Bearer {forged}", "Bearer kith_nope", "Bearer ", f"Bearer {secret}x"]:
        assert Client(headers={"Authorization": header}).get(ME).status_code == 401, header


def test_bad_token_is_refused_even_with_a_session(users):
    browser = Client(headers={"Authorization": "Bearer kith_dead_beef"})
    browser.force_login(users.rep_a)

    assert browser.get(ME).status_code == 401


def test_inactive_users_token_is_401(users):
    _token, secret = identity.api_token_create(user=users.rep_b, name="script")
    users.rep_b.is_active = False
    users.rep_b.save(update_fields=["is_active"])

    assert Client(headers={"Authorization": f"Bearer {secret}"}).get(ME).status_code == 401


def test_session_reads_and_csrf_checked_writes(users):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users.rep_a)

    assert browser.get(ME).json()["id"] == users.rep_a.pk

    without_csrf = browser.post(TOKENS, {"name": "cli"}, content_type="application/json")
    assert without_csrf.status_code == 403
    assert "CSRF" in without_csrf.json()["detail"]
    assert not ApiToken.objects.filter(user=users.rep_a).exists()

    browser.cookies["csrftoken"] = CSRF
    with_csrf = browser.post(
        TOKENS, {"name": "cli"}, content_type="application/json", headers={"X-CSRFToken": CSRF}
    )
    assert with_csrf.status_code == 201, with_csrf.content


def test_token_lifecycle(users):
    browser = Client()
    browser.force_login(users.rep_a)

    created = browser.post(TOKENS, {"name": "  nightly sync "}, content_type="application/json")

    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "nightly sync"
    assert body["token"].startswith(f"kith_{body['prefix']}_")
    assert body["revoked_at"] is None
    token_api = Client(headers={"Authorization": f"Bearer {body['token']}"})
    assert token_api.get(ME).json()["id"] == users.rep_a.pk

    listed = token_api.get(TOKENS).json()
    assert [(t["id"], t["name"]) for t in listed] == [(body["id"], "nightly sync")]
    assert "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None

    assert token_api.delete(f"{TOKENS}/{body['id']}").status_code == 204
    assert token_api.get(TOKENS).status_code == 401
    assert browser.get(TOKENS).json()[0]["revoked_at"] is not None


def test_a_token_cannot_mint_tokens(api_for, users):
    response = api_for(users.rep_a).post(
        TOKENS, {"name": "successor"}, content_type="application/json"
    )

    assert response.status_code == 401
    assert ApiToken.objects.filter(user=users.rep_a).count() == 1


def test_token_name_is_required(users):
    browser = Client()
    browser.force_login(users.rep_a)

    response = browser.post(TOKENS, {"name": "   "}, content_type="application/json")

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"name"}


def test_cannot_revoke_someone_elses_token(api_for, users):
    theirs, _secret = identity.api_token_create(user=users.rep_b, name="theirs")

    response = api_for(users.rep_a).delete(f"{TOKENS}/{theirs.pk}")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
