import threading

import pytest
from django.db import connections

from huitou.accounts.models import User
from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import Ticket
from huitou.tickets.services import do_ticket_create

THREADS = 6
PER_THREAD = 10


@pytest.mark.django_db(transaction=True)
def test_tickets_created_in_parallel_get_unique_numbers():
    """Six threads file tickets at once (PostgreSQL in CI, SQLite locally): no clash, no loss."""
    agent_id = UserFactory(role="agent").pk
    customer = CustomerFactory()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def file_tickets():
        try:
            agent = User.objects.get(pk=agent_id)
            start.wait()
            for n in range(PER_THREAD):
                do_ticket_create(
                    actor=agent,
                    customer=customer,
                    channel="phone",
                    type="consultation",
                    subject=f"并发建单 {n}",
                )
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file_tickets) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == THREADS * PER_THREAD
