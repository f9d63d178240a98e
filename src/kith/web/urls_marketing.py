"""Pages of marketing: segments, templates, campaigns, and the public links in campaign mail."""

from django.urls import path

from kith.web.views import marketing_public

urlpatterns = [
    path("m/o/<str:token>.gif", marketing_public.marketing_open, name="marketing-open"),
    path("m/c/<str:token>/", marketing_public.marketing_click, name="marketing-click"),
    path("m/u/<str:token>/", marketing_public.marketing_unsubscribe, name="marketing-unsubscribe"),
]
