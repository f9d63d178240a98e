"""The interactive API docs (/api/v1/docs): Swagger UI from the npm package swagger-ui-dist,
served as our static files, never from a CDN (the page works offline)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger, _csrf_needed


class LocalSwagger(Swagger):
    """django-ninja's Swagger page, rendered from web/api_docs.html with local assets."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings),
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, "web/api_docs.html", context)
