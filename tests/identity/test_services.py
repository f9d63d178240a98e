"""Users, passwords and API tokens."""

from __future__ import annotations

import pytest

from kith.core.errors import FieldError, NotFound
from kith.identity.models import ApiToken
from kith.identity.selectors import api_tokens_of, user_for_api_token, users_assignable
from kith.identity.services import (
    api_token_create,
    api_token_revoke,
    user_change_password,
    user_create,
)
from tests.conftest import PASSWORD


def test_token_is_stored_hashed_and_revocable(users):
    token, secret = api_token_create(user=users.rep_a, name="sync script")
    assert secret.startswith(f"kith_{token.prefix}_")
    assert secret.split("_", 2)[2] not in token.secret_hash
    assert ApiToken.objects.filter(secret_hash__contains=secret).count() == 0
    assert user_for_api_token(raw=secret) == users.rep_a
    assert user_for_api_token(raw=secret + "x") is None
    assert user_for_api_token(raw="kith_nope_nope") is None
    assert user_for_api_token(raw="") is None
    with pytest.raises(NotFound):
        api_token_revoke(by=users.rep_b, token_id=token.pk)
    api_token_revoke(by=users.rep_a, token_id=token.pk)
    assert user_for_api_token(raw=secret) is None
    assert list(api_tokens_of(user=users.rep_a)) == [token]


def test_token_of_inactive_user_is_refused(users):
    _token, secret = api_token_create(user=users.rep_a, name="x")
    users.rep_a.is_active = False
    users.rep_a.save()
    assert user_for_api_token(raw=secret) is None


def test_password_change(users):
    with pytest.raises(FieldError) as exc:
        user_change_password(
            user=users.rep_a, old_password="wrong", new_password="another-long-pass-9"
        )
    assert list(exc.value.errors) == ["old_password"]
    with pytest.raises(FieldError) as exc:
        user_change_password(user=users.rep_a, old_password=PASSWORD, new_password="123")
    assert list(exc.value.errors) == ["new_password"]
    user_change_password(
        user=users.rep_a, old_password=PASSWORD, new_password="another-long-pass-9"
    )
    users.rep_a.refresh_from_db()
    assert users.rep_a.check_password("another-long-pass-9")


def test_user_create_errors(users):
    with pytest.raises(FieldError) as exc:
        user_create(username="rep_a", password=PASSWORD)
    assert list(exc.value.errors) == ["username"]
    with pytest.raises(FieldError) as exc:
        user_create(username="x", password=PASSWORD, role_slug="wizard")
    assert list(exc.value.errors) == ["role"]


def test_assignable_users_follow_scope(users):
    assert set(users_assignable(user=users.rep_a)) == {users.rep_a, users.rep_a2, users.manager}
    assert users.rep_b in set(users_assignable(user=users.manager))
