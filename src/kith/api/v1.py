"""API v1: one NinjaAPI, one router module per domain (mounted below)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Kith API", version="1", urls_namespace="api-v1")
