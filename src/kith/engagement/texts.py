"""Customer-written texts that live in other apps (a ticket's customer replies), for the apps
above them to read (feedback scores their sentiment).

The app that keeps such text registers a reader in its AppConfig.ready():

    customer_text_register(model="service.ticketevent", read=ticket_replies_read)

`read(ids)` returns the CustomerText of each id that exists (missing ids are left out). The
text is the customer's own words; callers must not put it in logs or event payloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerText:
    model: str  # "service.ticketevent"
    id: int
    text: str
    at: dt.datetime  # when the customer wrote it
    contact_id: int | None
    owner_id: int | None  # the owner and team of the record it belongs to (for visible_to)
    team_id: int | None


TextRead = Callable[[list[int]], list[CustomerText]]
CUSTOMER_TEXTS: dict[str, TextRead] = {}


def customer_text_register(*, model: str, read: TextRead) -> None:
    """Say how texts of `model` ("app.model") are read by id."""
    CUSTOMER_TEXTS[model] = read


def customer_texts_read(*, model: str, ids: Iterable[int]) -> list[CustomerText]:
    """The texts of `model` with these ids; [] for a model no app registered."""
    read = CUSTOMER_TEXTS.get(model)
    return read(list(ids)) if read is not None else []
