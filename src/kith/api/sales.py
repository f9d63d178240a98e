"""API v1: leads, web forms, pipelines, deals, products, orders and forecasts."""

from ninja import Router

router = Router(tags=["sales"])
