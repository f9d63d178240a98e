"""API v1: interactions, timeline, tasks, comments and notifications."""

from ninja import Router

router = Router(tags=["engagement"])
