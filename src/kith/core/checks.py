"""Start-up checks: Kith refuses to run in production with the public development secret key.

With that key anyone can forge what Kith signs (CSAT links, password-reset and session data),
so `kith serve`, `kith worker`, every management command and the WSGI/ASGI application stop
with an error while debug is off and KITH_SECRET_KEY is not set to a key of your own.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_MESSAGE = (
    "KITH_SECRET_KEY is not set: Kith will not run with the public development key while "
    "KITH_DEBUG is off. Set KITH_SECRET_KEY to a long random value, e.g. "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
)


def secret_key_public() -> bool:
    """Whether the secret key is the public development key while debug is off."""
    dev_key = getattr(settings, "KITH_DEV_SECRET_KEY", "")
    return not settings.DEBUG and bool(dev_key) and dev_key == settings.SECRET_KEY


def secret_key_require() -> None:
    """Raise ImproperlyConfigured when secret_key_public() (for the WSGI/ASGI entry points)."""
    if secret_key_public():
        raise ImproperlyConfigured(SECRET_KEY_MESSAGE)


@register()
def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The system check behind every management command (migrate, db_worker, runserver…)."""
    if secret_key_public():
        return [Error(SECRET_KEY_MESSAGE, id="kith.E001")]
    return []
