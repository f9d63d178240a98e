"""Contacts, companies and search. Reads go through kith.customers.selectors, writes through
kith.customers.services; both apply the permission gate, so this package never filters or checks
rights itself. A record outside the caller's scope is a 404, the same as a missing one.

Rows are rendered from what the selectors loaded (`point_list`, `address_list`, `tag_list`, `company`,
`owner`, `team`), so a list page costs the same number of queries whatever its size.
One module per concept; `router` (mounted by kith.api.v1) holds them all.
"""

from __future__ import annotations

from ninja import Router

from kith.api.customers import companies, contacts, search

router = Router()
for _concept in (contacts, companies, search):
    # Operation ids as they were before the split into modules, so generated clients keep them.
    for _path in _concept.router.path_operations.values():
        for _operation in _path.operations:
            _operation.operation_id = _operation.operation_id or (
                f"kith_api_customers_{_operation.view_func.__name__}"
            )
    router.add_router("", _concept.router)
