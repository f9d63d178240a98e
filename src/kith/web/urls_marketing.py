"""Pages of marketing: segments, campaigns, and the public links in campaign mail."""

from django.urls import path

from kith.web.views import marketing, marketing_public

urlpatterns = [
    path("segments/", marketing.segment_list, name="segment-list"),
    path("segments/new/", marketing.segment_edit, name="segment-create"),
    path("segments/count/", marketing.segment_count, name="segment-count"),
    path("segments/<int:segment_id>/", marketing.segment_detail, name="segment-detail"),
    path("segments/<int:segment_id>/edit/", marketing.segment_edit, name="segment-edit"),
    path("campaigns/", marketing.campaign_list, name="campaign-list"),
    path("campaigns/new/", marketing.campaign_create, name="campaign-create"),
    path("campaigns/winback/", marketing.campaign_winback, name="campaign-winback"),
    path("campaigns/<int:campaign_id>/", marketing.campaign_detail, name="campaign-detail"),
    path(
        "campaigns/<int:campaign_id>/recipients/",
        marketing.campaign_recipients,
        name="campaign-recipients",
    ),
    path(
        "campaigns/<int:campaign_id>/<str:action>/",
        marketing.campaign_action,
        name="campaign-action",
    ),
    path("m/o/<str:token>.gif", marketing_public.marketing_open, name="marketing-open"),
    path("m/c/<str:token>/", marketing_public.marketing_click, name="marketing-click"),
    path("m/u/<str:token>/", marketing_public.marketing_unsubscribe, name="marketing-unsubscribe"),
]
