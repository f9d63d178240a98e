"""API v1: leads, pipelines, deals, products, orders. Reads go through kith.sales.selectors and
writes through kith.sales.services, which apply the permission gate: a record outside the
caller's scope is a 404, the same as a missing one. Money is in minor units (cents).

One module per concept, each with its own router; `router` here gathers them."""

from ninja import Router

from kith.api.sales import deals, leads, orders, pipelines, products

router = Router(tags=["sales"])
for _concept in (leads, pipelines, deals, products, orders):
    router.add_router("", _concept.router)
