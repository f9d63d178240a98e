"""Errors that services raise and every door (UI, API, CLI) turns into a clear message."""

from __future__ import annotations


class KithError(Exception):
    """Base of every error a user may see."""


class FieldError(KithError):
    """Bad input; `errors` maps each field name to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in errors.items()))

    @classmethod
    def one(cls, field: str, message: str) -> FieldError:
        return cls({field: message})


class StaleEdit(KithError):
    """The record changed since the user loaded it; their edit would overwrite someone else's."""


class Conflict(KithError):
    """The change cannot be made while other records depend on this one (a contact with orders
    cannot be deleted); the message says which."""


class NotFound(KithError):
    """The record does not exist, or the user may not see it (both look the same on purpose)."""


class Forbidden(KithError):
    """The user may see the record but lacks the right to do this to it."""
