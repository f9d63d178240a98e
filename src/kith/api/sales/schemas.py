"""Schema pieces every sales API module shares: paging and the "not sent" default of PATCH
bodies (a field left out of `model_dump(exclude_unset=True)` is not changed)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from ninja import Field, Schema

MAX_PAGE_SIZE = 200
NOT_SENT: Any = None


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def page_out(page: Any) -> dict[str, Any]:
    """A selector's Page as the API's page body."""
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}
