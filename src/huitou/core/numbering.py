"""Human-readable numbers such as C2026000123 and T2026000001, unique under concurrency."""

from django.db import transaction
from django.utils import timezone

from .models import NumberSequence

NUMBER_DIGITS = 6


def next_number(*, prefix: str) -> str:
    """Issue the next number for `prefix` in the current local year; never issues one twice.

    The sequence row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite runs our
    transactions IMMEDIATE, which serialises writers) so parallel callers queue.
    """
    year = timezone.localdate().year
    with transaction.atomic():
        NumberSequence.objects.bulk_create(
            [NumberSequence(prefix=prefix, year=year)], ignore_conflicts=True
        )
        sequence = NumberSequence.objects.select_for_update().get(prefix=prefix, year=year)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
    return f"{prefix}{year}{sequence.last_value:0{NUMBER_DIGITS}d}"


def reserve_numbers(*, prefix: str, count: int) -> list[str]:
    """Issue `count` consecutive numbers at once, for bulk imports (one locked update)."""
    if count <= 0:
        return []
    year = timezone.localdate().year
    with transaction.atomic():
        NumberSequence.objects.bulk_create(
            [NumberSequence(prefix=prefix, year=year)], ignore_conflicts=True
        )
        sequence = NumberSequence.objects.select_for_update().get(prefix=prefix, year=year)
        first = sequence.last_value + 1
        sequence.last_value += count
        sequence.save(update_fields=["last_value"])
    return [f"{prefix}{year}{value:0{NUMBER_DIGITS}d}" for value in range(first, first + count)]
