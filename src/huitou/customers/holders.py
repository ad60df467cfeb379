"""Records other apps keep about a customer (tickets, complaints, later surveys and care
tasks): what a personal-data export includes, what an erasure clears, and what counts as
recent activity for the retention schedule.

customers cannot import the apps above it, so they register here from their
AppConfig.ready(); HOLDER_ORDER states the order an export lists them in and an erasure
runs them in."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .models import Customer

HOLDER_ORDER = (
    "tickets",
    "complaints",
    "notifications",
    "portal_sign_in",
    "chat_channels",
    "surveys",
)


@dataclass(frozen=True)
class PersonalDataHolder:
    name: str  # the export's key for these records
    # The customer's records as JSON-ready rows.
    export: Callable[[Customer], list[dict]] | None = None
    # Clear what identifies the person in these records; returns the records changed.
    erase: Callable[..., int] | None = None
    # Customer ids with activity since a moment or work still open: kept by retention.
    active_customers: Callable[[datetime], models.QuerySet] | None = None


_holders: dict[str, PersonalDataHolder] = {}


def register_holder(holder: PersonalDataHolder) -> None:
    if holder.name not in HOLDER_ORDER:
        raise ImproperlyConfigured(f"{holder.name!r} is not in customers.holders.HOLDER_ORDER")
    _holders[holder.name] = holder


def holders() -> list[PersonalDataHolder]:
    return [_holders[name] for name in HOLDER_ORDER if name in _holders]


def model_rows(queryset: models.QuerySet) -> list[dict]:
    """Every concrete field of each row (stored file paths left out)."""
    fields = [f for f in queryset.model._meta.concrete_fields if f.name != "stored_path"]
    return [{f.name: f.value_from_object(obj) for f in fields} for obj in queryset]
