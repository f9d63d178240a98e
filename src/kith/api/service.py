"""API v1: tickets, slas, service metrics and the csat page."""

from ninja import Router

router = Router(tags=["service"])
