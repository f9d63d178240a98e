"""Insights pages: dashboard, segments and the contact page's scores panel (kith.web.views.insights)."""

urlpatterns: list = []
