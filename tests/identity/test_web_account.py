"""The account page: API tokens and password change."""

from __future__ import annotations

from django.urls import reverse

from kith.identity.models import ApiToken
from kith.identity.selectors import user_for_api_token
from tests.conftest import PASSWORD


def test_create_token_shows_the_secret_once(web_for, users):
    client = web_for(users.rep_a)
    response = client.post(reverse("token-create"), {"name": "Laptop script"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["new_secret"]
    assert secret.startswith("kith_")
    assert secret in response.content.decode()
    assert user_for_api_token(raw=secret) == users.rep_a
    again = client.get(reverse("account")).content.decode()
    assert secret not in again
    token = ApiToken.objects.get(user=users.rep_a)
    assert f"kith_{token.prefix}_…" in again
    assert "Laptop script" in again


def test_token_needs_a_name(web_for, users):
    response = web_for(users.rep_a).post(reverse("token-create"), {"name": ""})
    assert response.context["token_form"].errors == {"name": ["This field is required."]}
    assert not ApiToken.objects.exists()


def test_revoke_token(web_for, users):
    from kith.identity.services import api_token_create

    token, secret = api_token_create(user=users.rep_a, name="old")
    client = web_for(users.rep_a)
    response = client.post(reverse("token-revoke", kwargs={"token_id": token.pk}), follow=True)
    assert "Token revoked." in response.content.decode()
    assert user_for_api_token(raw=secret) is None


def test_password_change_wrong_old_password(web_for, users):
    response = web_for(users.rep_a).post(
        reverse("password-change"),
        {
            "old_password": "wrong",
            "new_password": "a-much-better-pass-77",
            "new_password_again": "a-much-better-pass-77",
        },
    )
    assert response.context["form"].errors == {
        "old_password": ["Your old password was entered incorrectly."]
    }


def test_password_change_weak_and_mismatched(web_for, users):
    client = web_for(users.rep_a)
    weak = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password": "123", "new_password_again": "123"},
    )
    assert list(weak.context["form"].errors) == ["new_password"]
    differ = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password": "abc-def-ghi-1", "new_password_again": "x"},
    )
    assert differ.context["form"].errors == {
        "new_password_again": ["The two new passwords differ."]
    }


def test_password_change_keeps_the_user_signed_in(web_for, users):
    client = web_for(users.rep_a)
    response = client.post(
        reverse("password-change"),
        {
            "old_password": PASSWORD,
            "new_password": "a-much-better-pass-77",
            "new_password_again": "a-much-better-pass-77",
        },
    )
    assert response["Location"] == reverse("account")
    assert client.get(reverse("home")).status_code == 200
    users.rep_a.refresh_from_db()
    assert users.rep_a.check_password("a-much-better-pass-77")
