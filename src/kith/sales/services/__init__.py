"""Writes of sales: leads and their conversion, web-form submissions, pipelines, deals and
their moves, products, orders (one by one and in bulk) and the purchase summaries.

Every service checks access with kith.identity.access, raises FieldError keyed by field,
writes atomically and records history in kith.core.audit (model labels "sales.lead", …).
One module per concept; this package re-exports the public names.
"""

from kith.core.public_forms import RateLimited
from kith.sales.services.conversion import (
    FREE_MAIL_DOMAINS,
    Conversion,
    contact_match,
    lead_convert,
)
from kith.sales.services.deals import DEAL_FIELDS, deal_create, deal_delete, deal_move, deal_update
from kith.sales.services.lead_routing import LEAD_CAPACITY, RoutingResult, leads_route
from kith.sales.services.leads import (
    LEAD_FIELDS,
    lead_create,
    lead_delete,
    lead_scores_store,
    lead_update,
)
from kith.sales.services.orders import (
    LineInput,
    order_cancel,
    order_create,
    order_refund,
    order_status_set,
    order_update,
    purchase_summaries_refresh,
)
from kith.sales.services.orders_import import ImportResult, OrderImport, orders_import
from kith.sales.services.pipelines import (
    StageInput,
    pipeline_create,
    pipeline_delete,
    pipeline_update,
)
from kith.sales.services.products import product_create, product_update
from kith.sales.services.rates import exchange_rate_on, exchange_rate_set, money_convert
from kith.sales.services.webforms import (
    PUBLIC_FORM,
    webform_create,
    webform_submit,
    webform_update,
)

__all__ = [
    "DEAL_FIELDS",
    "FREE_MAIL_DOMAINS",
    "LEAD_CAPACITY",
    "LEAD_FIELDS",
    "PUBLIC_FORM",
    "Conversion",
    "ImportResult",
    "LineInput",
    "OrderImport",
    "RateLimited",
    "RoutingResult",
    "StageInput",
    "contact_match",
    "deal_create",
    "deal_delete",
    "deal_move",
    "deal_update",
    "exchange_rate_on",
    "exchange_rate_set",
    "lead_convert",
    "lead_create",
    "lead_delete",
    "lead_scores_store",
    "lead_update",
    "leads_route",
    "money_convert",
    "order_cancel",
    "order_create",
    "order_refund",
    "order_status_set",
    "order_update",
    "orders_import",
    "pipeline_create",
    "pipeline_delete",
    "pipeline_update",
    "product_create",
    "product_update",
    "purchase_summaries_refresh",
    "webform_create",
    "webform_submit",
    "webform_update",
]
