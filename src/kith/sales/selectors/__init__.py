"""Reads of sales for every door (UI, API, CLI), already limited by `visible_to`.

One module per concept; this package re-exports the public names.
"""

from kith.sales.selectors.activity import ActivityMonitor, StageMetric, sales_activity
from kith.sales.selectors.board import (
    Board,
    BoardColumn,
    DealCard,
    StageTotal,
    deals_board,
    deals_column_more,
    deals_for_cards,
)
from kith.sales.selectors.deals import (
    DealChoices,
    DealFilters,
    StageStay,
    deal_choices,
    deal_get,
    deal_stage_history,
    deals_filtered,
    deals_list,
)
from kith.sales.selectors.forecast import ForecastRow, sales_forecast
from kith.sales.selectors.leads import LEAD_SORTS, LeadFilters, lead_get, leads_list
from kith.sales.selectors.orders import OrderFilters, order_get, orders_list
from kith.sales.selectors.panels import SalesPanel, company_sales_panel, contact_sales_panel
from kith.sales.selectors.pipelines import pipeline_get, pipelines_all, stage_deal_counts
from kith.sales.selectors.products import exchange_rates_list, product_get, products_list
from kith.sales.selectors.timeline import deals_for_timeline, orders_for_timeline
from kith.sales.selectors.webforms import webform_public, webforms_all

__all__ = [
    "LEAD_SORTS",
    "ActivityMonitor",
    "Board",
    "BoardColumn",
    "DealCard",
    "DealChoices",
    "DealFilters",
    "ForecastRow",
    "LeadFilters",
    "OrderFilters",
    "SalesPanel",
    "StageMetric",
    "StageStay",
    "StageTotal",
    "company_sales_panel",
    "contact_sales_panel",
    "deal_choices",
    "deal_get",
    "deal_stage_history",
    "deals_board",
    "deals_column_more",
    "deals_filtered",
    "deals_for_cards",
    "deals_for_timeline",
    "deals_list",
    "exchange_rates_list",
    "lead_get",
    "leads_list",
    "order_get",
    "orders_for_timeline",
    "orders_list",
    "pipeline_get",
    "pipelines_all",
    "product_get",
    "products_list",
    "sales_activity",
    "sales_forecast",
    "stage_deal_counts",
    "webform_public",
    "webforms_all",
]
