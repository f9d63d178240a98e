"""Pages of sales: leads, web forms, pipelines, deals, products, orders and forecasts."""

from django.urls import path  # noqa: F401 - the list below fills in as pages are built

urlpatterns: list = []
