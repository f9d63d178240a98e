"""Pages of engagement: interactions, timeline, tasks, comments and notifications."""

from django.urls import path  # noqa: F401 - the list below fills in as pages are built

urlpatterns: list = []
