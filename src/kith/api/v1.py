"""API v1: one NinjaAPI, one router module per domain (mounted below).

Every operation needs a caller: a personal API token (`Authorization: Bearer kith_…`) or a
signed-in browser session (CSRF-checked). Errors are JSON; see kith.api.errors.
"""

from ninja import NinjaAPI

from kith.api import (
    admin,
    customers,
    engagement,
    errors,
    identity,
    insights,
    intake,
    sales,
    service,
)
from kith.api.auth import session_auth, token_auth

api = NinjaAPI(
    title="Kith API",
    version="1",
    urls_namespace="api-v1",
    auth=[token_auth, session_auth],
)
errors.install(api)
api.add_router("", identity.router)
api.add_router("", customers.router)
api.add_router("", engagement.router)
api.add_router("", sales.router)
api.add_router("", service.router)
api.add_router("", insights.router)
api.add_router("", intake.router)
api.add_router("", admin.router)
