"""Users, teams, roles and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kith.core.translated import name_localized


class Team(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    # Where the team's local phone numbers are read (ISO country code; "" = the setting).
    phone_region = models.CharField(_("phone region"), max_length=2, blank=True)
    lead = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A named bundle of grants, one per module (admin, manager, sales rep come ready)."""

    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)

    def __str__(self) -> str:
        return name_localized(self)


class Scope(models.TextChoices):
    OWN = "own", _("Own records")
    TEAM = "team", _("Team's records")
    ALL = "all", _("All records")


class Right(models.TextChoices):
    READ = "read", _("Read")
    CREATE = "create", _("Create")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")


class RoleGrant(models.Model):
    """What a role may do in one module ("contacts", "companies", "deals", …) and on which records."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    module = models.CharField(max_length=32)
    scope = models.CharField(max_length=4, choices=Scope.choices, default=Scope.OWN)
    can_read = models.BooleanField(default=True)
    can_create = models.BooleanField(default=False)
    can_edit = models.BooleanField(default=False)
    can_delete = models.BooleanField(default=False)
    can_export = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "module"], name="role_grant_unique_module")
        ]

    def __str__(self) -> str:
        return f"{self.module}: {self.scope}"

    def allows(self, right: str) -> bool:
        return bool(getattr(self, f"can_{right}"))


class User(AbstractUser):
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Where the user's local phone numbers are read (ISO country code; "" = the team's).
    phone_region = models.CharField(_("phone region"), max_length=2, blank=True)
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret once confirmed, and the last time
    # step a code was accepted for (a code works once).
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the prefix identifies it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SecurityEvent(models.Model):
    """One entry of the security audit trail: who did what, when, from which (hashed) address.

    Kept apart from customer history (kith.core.audit) and never holding customer data: `target`
    names a record by kind and id ("contact:42"), `detail` holds ids, counts and codes.
    """

    class Kind(models.TextChoices):
        SIGNIN = "signin", _("Signed in")
        SIGNIN_FAILED = "signin_failed", _("Sign-in failed")
        SIGNIN_LOCKED = "signin_locked", _("Sign-in refused (locked out)")
        SIGNOUT = "signout", _("Signed out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        USER_CREATED = "user_created", _("User created")
        USER_CHANGED = "user_changed", _("User changed")
        ROLE_CHANGED = "role_changed", _("Role or grants changed")
        TEAM_CHANGED = "team_changed", _("Team changed")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        EXPORT = "export", _("Data exported")
        IMPORT = "import", _("Data imported")
        MERGE = "merge", _("Records merged")
        PERSONAL_DATA_EXPORT = "personal_data_export", _("Personal data exported")
        ERASURE = "erasure", _("Personal data erased")
        BACKUP = "backup", _("Backup written")
        RESTORE = "restore", _("Backup restored")
        SETTINGS_CHANGED = "settings_changed", _("Settings changed")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor sign-in turned on")
        TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor sign-in turned off")

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The user name given (sign-ins name an account that may not exist, or no longer).
    username = models.CharField(max_length=150, blank=True)
    address_hash = models.CharField(max_length=64, blank=True)
    target = models.CharField(max_length=80, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["kind", "-at"], name="security_event_kind_at"),
            models.Index(fields=["username", "kind", "-at"], name="security_event_user_kind_at"),
            models.Index(
                fields=["address_hash", "kind", "-at"], name="security_event_addr_kind_at"
            ),
            models.Index(fields=["actor", "-at"], name="security_event_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.username} {self.at:%Y-%m-%d %H:%M}"
