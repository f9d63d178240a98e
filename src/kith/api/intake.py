"""API v1: import, export, duplicates and merge."""

from ninja import Router

router = Router(tags=["intake"])
