"""What happens to customer records, told to the apps above customers (the same registry
as tickets.events: who runs, in which order and phase, is stated here)."""

from dataclasses import dataclass

from huitou.core.events import EventTable, Phase, Slot


@dataclass(frozen=True)
class CustomersRetiered:
    """The tier of these customers changed (by hand, by an override or by the recompute)."""

    customer_ids: tuple[int, ...]


CUSTOMER_EVENTS = EventTable(
    {
        CustomersRetiered: (
            Slot(
                "sla.retier",
                Phase.IN_TRANSACTION,
                "open tickets: the queue and the SLA policy the new tier gives",
            ),
        ),
    }
)


def subscribe(event_type: type, name: str, handler) -> None:
    CUSTOMER_EVENTS.subscribe(event_type, name, handler)


def emit_retiered(customer_ids) -> None:
    ids = tuple(customer_ids)
    if ids:
        CUSTOMER_EVENTS.emit(CustomersRetiered(customer_ids=ids))
