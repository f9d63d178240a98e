"""Shared fixtures of the whole suite.

- `teams`, `users`: two teams' worth of users with the default roles (admin, manager, reps).
- `web_for(user)`: the one signed-in web client (Django's test Client, session of `user`).
- `api_for(user)`: the one API client (a fresh Bearer token of `user` on every request).
- `english`: pages and messages in English. Not autouse: `web_for` requests it (pages render in
  English unless a test switches language), and so do the folders whose tests all read pages
  (their conftest.py) and modules that render without `web_for` (`pytestmark`). Setting the
  language also resets the translation a previous request left active on the thread.
- `records`: a company and a contact in team A (rep_a's) and in team B (rep_b's).
- `smtp`: a real SMTP server on loopback (aiosmtpd) that Django's mail goes to; `smtp.messages`
  are the parsed messages it received, `smtp.recipients` their envelope recipients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from kith.customers.models import Company, Contact
from kith.identity.models import Team, User
from kith.identity.services import (
    api_token_create,
    roles_ensure_defaults,
    team_create,
    user_create,
)
from tests.factories import make_company, make_contact
from tests.loopback import SmtpInbox, SmtpServer

PASSWORD = "correct-horse-battery-42"

# Property tests check behaviour, not speed; a busy 2-core CI machine must not fail them on time.
hypothesis_settings.register_profile("kith", deadline=None)
hypothesis_settings.load_profile("kith")


@dataclass
class Teams:
    a: Team
    b: Team


@dataclass
class Users:
    admin: User
    manager: User
    rep_a: User
    rep_a2: User
    rep_b: User


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # PBKDF2's deliberate slowness would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def teams(db) -> Teams:
    roles_ensure_defaults()
    return Teams(a=team_create(name="Team A"), b=team_create(name="Team B"))


@pytest.fixture
def users(teams: Teams) -> Users:
    return Users(
        admin=user_create(
            username="admin", password=PASSWORD, role_slug="admin", is_superuser=True
        ),
        manager=user_create(
            username="manager", password=PASSWORD, role_slug="manager", team=teams.a
        ),
        rep_a=user_create(username="rep_a", password=PASSWORD, team=teams.a, first_name="Ann"),
        rep_a2=user_create(username="rep_a2", password=PASSWORD, team=teams.a),
        rep_b=user_create(username="rep_b", password=PASSWORD, team=teams.b, first_name="Bảo"),
    )


@pytest.fixture
def english(settings) -> None:
    """Pages and messages in English; no browser header or saved language decides."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def web_for(db, english) -> Callable[[User], Client]:
    """A Django test client signed in (session) as `user`; pages render in English."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for(db) -> Callable[[User], Client]:
    """A Django test client that authenticates every request with a fresh API token of `user`."""

    def make(user: User) -> Client:
        _token, secret = api_token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make


@dataclass
class Records:
    company_a: Company
    company_b: Company
    contact_a: Contact  # team A, owned by rep_a
    contact_b: Contact  # team B, owned by rep_b


@pytest.fixture
def records(users: Users) -> Records:
    """A company and a contact of each team, made through the services (tests/factories.py)."""
    company_a = make_company(by=users.rep_a, name="Hoa Sen Trading", domain="hoasen.vn")
    company_b = make_company(by=users.rep_b, name="Bắc Giang Logistics")
    contact_a = make_contact(
        by=users.rep_a,
        full_name="王伟明",
        first_name="伟明",
        last_name="王",
        title="Purchasing manager",
        company_id=company_a.pk,
        emails=["wang.weiming@example.cn"],
        phones=["+86 138 0013 8000"],
        tags=["vip"],
    )
    contact_b = make_contact(
        by=users.rep_b,
        full_name="Trần Thị Bình",
        first_name="Bình",
        last_name="Trần",
        company_id=company_b.pk,
        emails=["binh.tran@example.vn"],
    )
    return Records(
        company_a=company_a, company_b=company_b, contact_a=contact_a, contact_b=contact_b
    )


@pytest.fixture
def smtp(settings) -> SmtpInbox:
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server.inbox
    server.stop()
