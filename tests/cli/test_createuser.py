"""`kith createuser`, run through the real Typer app."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kith.cli.app import app
from kith.identity.models import Team, User
from kith.identity.services import team_create

PASSWORD = "correct-horse-battery-42"

pytestmark = pytest.mark.django_db


def kith(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def test_creates_user_with_role_team_and_email():
    result = kith(
        "createuser",
        "maria",
        "--email=Maria@Example.COM",
        "--team=North",
        "--role=manager",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Created user maria (role Sales manager, team North)." in result.stdout
    user = User.objects.select_related("role", "team").get(username="maria")
    assert user.role.slug == "manager"
    assert user.team.name == "North"
    assert user.email == "maria@example.com"
    assert user.check_password(PASSWORD)
    assert not user.is_superuser


def test_joins_an_existing_team_instead_of_creating_another():
    north = team_create(name="North")

    result = kith("createuser", "li", "--team=North", "--password-stdin", input=f"{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    user = User.objects.get(username="li")
    assert user.team_id == north.pk
    assert user.role.slug == "sales_rep"
    assert Team.objects.filter(name="North").count() == 1


def test_prompts_for_the_password_without_echoing_it():
    result = kith("createuser", "an", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    user = User.objects.get(username="an")
    assert user.check_password(PASSWORD)
    assert user.team is None


def test_superuser_gets_the_admin_role_by_default():
    result = kith("createuser", "root", "--superuser", "--password-stdin", input=f"{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    user = User.objects.get(username="root")
    assert user.is_superuser
    assert user.is_staff
    assert user.role.slug == "admin"


def test_unknown_role_is_refused_and_nothing_is_written():
    result = kith(
        "createuser",
        "bob",
        "--role=boss",
        "--team=South",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )

    assert result.exit_code == 1
    assert "role: Unknown role “boss”." in result.stderr
    assert not User.objects.filter(username="bob").exists()
    assert not Team.objects.filter(name="South").exists()


def test_weak_password_is_refused():
    result = kith("createuser", "bob", "--password-stdin", input="12345\n")

    assert result.exit_code == 1
    assert "password: " in result.stderr
    assert "This password is too short." in result.stderr
    assert not User.objects.filter(username="bob").exists()


def test_taken_username_is_refused():
    kith("createuser", "bob", "--password-stdin", input=f"{PASSWORD}\n")

    result = kith("createuser", "bob", "--password-stdin", input=f"{PASSWORD}\n")

    assert result.exit_code == 1
    assert "username: This username is taken." in result.stderr
    assert User.objects.filter(username="bob").count() == 1
