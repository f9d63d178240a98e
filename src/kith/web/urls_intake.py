"""Pages of intake: import, export, duplicates and merge."""

from django.urls import path  # noqa: F401 - the list below fills in as pages are built

urlpatterns: list = []
