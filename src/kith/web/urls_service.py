"""Pages of service: tickets, slas, service metrics and the csat page."""

from django.urls import path  # noqa: F401 - the list below fills in as pages are built

urlpatterns: list = []
