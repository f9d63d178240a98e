"""Pages of automation: rules and runs, webhook subscriptions and deliveries, inbound sources,
and the public inbound webhook endpoint."""

from django.urls import path

from kith.web.views import automation

urlpatterns = [
    path("automation/", automation.rule_list, name="rule-list"),
    path("automation/rules/new/", automation.rule_create, name="rule-create"),
    path("automation/rules/<int:rule_id>/", automation.rule_detail, name="rule-detail"),
    path("automation/rules/<int:rule_id>/edit/", automation.rule_edit, name="rule-edit"),
    path("automation/rules/<int:rule_id>/toggle/", automation.rule_toggle, name="rule-toggle"),
    path("automation/runs/<int:run_id>/", automation.run_detail, name="rule-run"),
    path("automation/subscriptions/", automation.subscription_list, name="subscription-list"),
    path(
        "automation/subscriptions/<int:subscription_id>/",
        automation.subscription_detail,
        name="subscription-detail",
    ),
    path(
        "automation/subscriptions/<int:subscription_id>/toggle/",
        automation.subscription_toggle,
        name="subscription-toggle",
    ),
    path(
        "automation/deliveries/<int:delivery_id>/redeliver/",
        automation.delivery_redeliver,
        name="delivery-redeliver",
    ),
    path("automation/inbound/", automation.inbound_list, name="inbound-list"),
    path("automation/inbound/<int:source_id>/", automation.inbound_detail, name="inbound-detail"),
    path("hooks/in/<str:token>/", automation.inbound_receive, name="inbound-receive"),
]
