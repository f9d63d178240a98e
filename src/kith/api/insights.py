"""API v1: customer scores, segments and KPIs (kith.insights selectors check access)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["insights"])
