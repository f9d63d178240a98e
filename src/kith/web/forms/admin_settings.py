"""Forms of the admin settings pages: custom fields, users, teams, roles and grants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kith.core.models import CustomField
from kith.identity.access import MODULES
from kith.identity.models import Right, Role, Scope, Team, User
from kith.web.forms.base import (
    ServiceForm,
    translation_fields,
    translations_from,
    translations_initial,
)

CUSTOM_FIELD_MODELS = {
    "contact": ("customers.contact", _("Contacts")),
    "company": ("customers.company", _("Companies")),
}


def _language_choices() -> list[tuple[str, Any]]:
    return [("", _("Follow the browser")), *settings.LANGUAGES]


class CustomFieldForm(ServiceForm):
    key = forms.SlugField(
        label=_("Key"),
        max_length=48,
        help_text=_("Used in the API, imports and exports; lower-case letters, digits and _."),
    )
    label = forms.CharField(label=_("Label"), max_length=80)
    kind = forms.ChoiceField(label=_("Type"), choices=CustomField.Kind.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a choice field: one choice per line."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    position = forms.IntegerField(
        label=_("Position"), min_value=1, required=False, help_text=_("1 is shown first.")
    )

    def __init__(self, *args: Any, definition: CustomField | None = None, held: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        translation_fields(self, label=_("Label"), limit=80)
        if definition is None:
            del self.fields["position"]
        elif held:
            # Stored values must keep matching their definition; the service refuses it too.
            for name in ("key", "kind"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Fixed: %(count)d records hold a value for this field."
                ) % {"count": held}

    def service_kwargs(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("name_")}
        data["label_translations"] = translations_from(self)
        data["choices"] = [line.strip() for line in data["choices"].splitlines() if line.strip()]
        if data.get("position") is not None:
            data["position"] = data["position"] - 1
        elif "position" in data:
            del data["position"]
        return data


def custom_field_initial(definition: CustomField) -> dict[str, Any]:
    return {
        "key": definition.key,
        "label": definition.label,
        **translations_initial(definition.label_translations),
        "kind": definition.kind,
        "choices": "\n".join(str(c) for c in definition.choices),
        "required": definition.required,
        "position": definition.position + 1,
    }


class _UserFieldsForm(ServiceForm):
    service_field_names = {"team_id": "team", "role_slug": "role"}

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False
    )
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.order_by("name"), to_field_name="slug"
    )
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices, required=False)


class UserCreateForm(_UserFieldsForm):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    field_order = ["username", "first_name", "last_name", "email", "team", "role", "language"]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "username": data["username"],
            "password": data["password"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "team": data["team"],
            "role_slug": data["role"].slug,
            "language": data["language"],
        }


class UserEditForm(_UserFieldsForm):
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive user cannot sign in or use API tokens; their records stay."),
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "team_id": data["team"].pk if data["team"] else None,
            "role_slug": data["role"].slug,
            "language": data["language"],
            "is_active": data["is_active"],
        }


def user_initial(user: User) -> dict[str, Any]:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "team": user.team_id,
        "role": user.role.slug if user.role is not None else None,
        "language": user.language,
        "is_active": user.is_active,
    }


class PasswordSetForm(ServiceForm):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") != data["password"]:
            self.add_error("password_again", _("The two new passwords differ."))
        return data


class TeamForm(ServiceForm):
    service_field_names = {"lead_id": "lead"}

    name = forms.CharField(label=_("Name"), max_length=80)
    lead = forms.ModelChoiceField(
        label=_("Team lead"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
    )


class RoleCreateForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    slug = forms.CharField(
        label=_("Key"), max_length=32, help_text=_("Lower-case letters, digits and _.")
    )
    copy_from = forms.ModelChoiceField(
        label=_("Start from the grants of"),
        queryset=Role.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("nothing (read own records only)"),
    )


RIGHT_NAMES = tuple(Right.values)


def grants_from_post(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The grid's inputs ("contacts-scope", "contacts-edit" …) as the service's grants mapping.

    Every module is sent (an unticked checkbox sends nothing, which means the right is off).
    """
    grants: dict[str, dict[str, Any]] = {}
    for module in MODULES:
        grant: dict[str, Any] = {"scope": data.get(f"{module}-scope", "")}
        for right in RIGHT_NAMES:
            grant[right] = data.get(f"{module}-{right}") == "on"
        grants[module] = grant
    return grants


SCOPE_CHOICES = Scope.choices
