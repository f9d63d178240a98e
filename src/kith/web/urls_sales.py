"""Pages of sales: leads, web forms, pipelines, deals, products, orders and forecasts."""

from django.urls import path

from kith.web.views.sales import deals, leads, orders

urlpatterns = [
    # Leads and web-to-lead forms
    path("leads/", leads.lead_list, name="lead-list"),
    path("leads/new/", leads.lead_create, name="lead-create"),
    path("leads/route/", leads.lead_route, name="lead-route"),
    path("leads/<int:lead_id>/", leads.lead_detail, name="lead-detail"),
    path("leads/<int:lead_id>/edit/", leads.lead_edit, name="lead-edit"),
    path("leads/<int:lead_id>/convert/", leads.lead_convert, name="lead-convert"),
    path("leads/forms/", leads.form_list, name="form-list"),
    path("leads/forms/new/", leads.form_create, name="form-create"),
    path("leads/forms/<int:form_id>/edit/", leads.form_edit, name="form-edit"),
    path("f/<slug:slug>/", leads.form_public, name="form-public"),
    # Pipelines and deals
    path("deals/", deals.deal_board, name="deal-board"),
    path("deals/list/", deals.deal_list, name="deal-list"),
    path("deals/new/", deals.deal_create, name="deal-create"),
    path("deals/<int:deal_id>/", deals.deal_detail, name="deal-detail"),
    path("deals/<int:deal_id>/edit/", deals.deal_edit, name="deal-edit"),
    path("deals/<int:deal_id>/move/", deals.deal_move, name="deal-move"),
    path("deals/pick/<str:kind>/", deals.deal_pick, name="deal-pick"),
    path("deals/pick/<str:kind>/<int:record_id>/", deals.deal_pick_chip, name="deal-pick-chip"),
    path("deals/column/<int:stage_id>/", deals.deal_column_more, name="deal-column-more"),
    path("deals/pipelines/", deals.pipeline_list, name="pipeline-list"),
    path("deals/pipelines/new/", deals.pipeline_create, name="pipeline-create"),
    path("deals/pipelines/<int:pipeline_id>/edit/", deals.pipeline_edit, name="pipeline-edit"),
    path(
        "deals/pipelines/<int:pipeline_id>/delete/", deals.pipeline_delete, name="pipeline-delete"
    ),
    path("deals/forecast/", deals.forecast_view, name="forecast-view"),
    # Products and orders
    path("products/", orders.product_list, name="product-list"),
    path("products/new/", orders.product_create, name="product-create"),
    path("products/rates/", orders.exchange_rates, name="exchange-rates"),
    path("products/<int:product_id>/edit/", orders.product_edit, name="product-edit"),
    path("orders/", orders.order_list, name="order-list"),
    path("orders/new/", orders.order_create, name="order-create"),
    path("orders/new/line/", orders.order_line_row, name="order-line-row"),
    path("orders/<int:order_id>/", orders.order_detail, name="order-detail"),
    path("orders/<int:order_id>/edit/", orders.order_edit, name="order-edit"),
    path("orders/<int:order_id>/status/", orders.order_status, name="order-status"),
    # Panels on the contact and company pages
    path(
        "contacts/<int:contact_id>/sales/", orders.contact_sales_panel, name="contact-sales-panel"
    ),
    path(
        "companies/<int:company_id>/sales/", orders.company_sales_panel, name="company-sales-panel"
    ),
]
