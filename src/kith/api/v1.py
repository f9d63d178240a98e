"""API v1: one NinjaAPI; every installed app's routers (KithAppConfig.api_routers) mounted below.

Every operation needs a caller: a personal API token (`Authorization: Bearer kith_…`) or a
signed-in browser session (CSRF-checked). Errors are JSON; see kith.api.errors.
"""

from ninja import NinjaAPI

from kith.api import errors
from kith.api.auth import session_auth, token_auth
from kith.api.docs import LocalSwagger
from kith.core.doors import api_routers

api = NinjaAPI(
    title="Kith API",
    version="1",
    urls_namespace="api-v1",
    auth=[token_auth, session_auth],
    docs=LocalSwagger(),
)
errors.install(api)
for router in api_routers():
    api.add_router("", router)
