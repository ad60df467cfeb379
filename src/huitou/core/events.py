"""A small, explicit registry of domain events.

The app that owns a record declares its events (frozen dataclasses) and, beside them, an
EventTable: for each event, the subscribers it has, in the order they run, and whether each
runs inside the writer's transaction (IN_TRANSACTION: it must be atomic with the change, a
failure undoes the change) or after it commits (ON_COMMIT: side effects such as sending;
a failure is logged and does not undo what was saved). Apps above the owner subscribe by
those names from their AppConfig.ready(); the owner imports none of them. A name missing
from the table cannot subscribe, so the table is the whole story of who reacts to what."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

logger = logging.getLogger(__name__)


class Phase(StrEnum):
    IN_TRANSACTION = "in_transaction"
    ON_COMMIT = "on_commit"


@dataclass(frozen=True)
class Slot:
    """One subscriber's place: its name ("app.what_it_does"), phase and why it is there."""

    name: str
    phase: Phase
    why: str = ""


class EventTable:
    def __init__(self, table: dict[type, tuple[Slot, ...]]):
        for slots in table.values():
            names = [slot.name for slot in slots]
            if len(names) != len(set(names)):
                raise ImproperlyConfigured(f"duplicate subscriber in {names}")
        self.slots = table
        self.handlers: dict[tuple[type, str], Callable] = {}

    def subscribe(self, event_type: type, name: str, handler: Callable) -> None:
        """Register `handler` as subscriber `name` of `event_type`; registering again (an
        AppConfig.ready() run twice) replaces it, so it still runs once."""
        if event_type not in self.slots:
            raise ImproperlyConfigured(f"{event_type.__name__} is not an event of this table")
        if name not in self.order(event_type):
            raise ImproperlyConfigured(
                f"{name!r} is not a subscriber of {event_type.__name__}; add it to the table "
                f"in {event_type.__module__} (the table states who runs, and in which order)"
            )
        self.handlers[(event_type, name)] = handler

    def order(self, event_type: type) -> list[str]:
        return [slot.name for slot in self.slots[event_type]]

    def emit(self, event) -> None:
        event_type = type(event)
        for slot in self.slots[event_type]:
            handler = self.handlers.get((event_type, slot.name))
            if handler is None:  # its app is not installed
                continue
            if slot.phase is Phase.IN_TRANSACTION:
                handler(event)
            else:
                # robust: a failing side effect is logged and the others still run.
                transaction.on_commit(partial(handler, event), robust=True)
