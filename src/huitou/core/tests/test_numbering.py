import re
import threading

import pytest
from django.db import connection, connections

from huitou.core.models import NumberSequence
from huitou.core.numbering import next_number


@pytest.mark.django_db
def test_numbers_have_prefix_year_and_six_digits():
    first = next_number(prefix="C")
    second = next_number(prefix="C")
    assert re.fullmatch(r"C20\d{2}\d{6}", first)
    assert int(second[-6:]) == int(first[-6:]) + 1


@pytest.mark.django_db
def test_sequences_are_independent_per_prefix():
    next_number(prefix="C")
    next_number(prefix="C")
    assert next_number(prefix="T").endswith("000001")


@pytest.mark.django_db(transaction=True)
def test_parallel_threads_never_get_the_same_number():
    """Eight threads × 15 numbers each: all 120 distinct, no gap, on SQLite and PostgreSQL."""
    issued: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker():
        try:
            start.wait()
            for _ in range(15):
                number = next_number(prefix="T")
                with lock:
                    issued.append(number)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(issued) == len(set(issued)) == 120
    assert sorted(int(n[-6:]) for n in issued) == list(range(1, 121))
    assert NumberSequence.objects.get(prefix="T").last_value == 120
    assert connection.vendor in {"sqlite", "postgresql"}
