"""Forms of the account page: password change and API tokens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.web.forms.base import ServiceForm


class PasswordChangeForm(ServiceForm):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("new_password")
            and data.get("new_password_again")
            and data["new_password"] != data["new_password_again"]
        ):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class ApiTokenForm(ServiceForm):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Laptop script")}),
    )
