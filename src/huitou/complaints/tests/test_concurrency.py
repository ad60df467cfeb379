import threading

import pytest
from django.db import connections

from huitou.accounts.models import User
from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.models import Complaint, ComplaintStep
from huitou.complaints.services import do_complaint_accept, do_complaint_dispatch
from huitou.core.errors import ConflictError

from .factories import make_complaint

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_only_one_of_several_handlers_accepting_at_once_wins():
    """The complaint row is locked for each step, so a step happens once however many try."""
    department = DepartmentFactory()
    agent = UserFactory(role="agent")
    handler_ids = [UserFactory(role="handler", department=department).pk for _ in range(THREADS)]
    complaint = make_complaint(actor=agent)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=department)
    outcomes: list[str] = []
    start = threading.Barrier(THREADS)

    def accept(handler_id: int) -> None:
        try:
            handler = User.objects.get(pk=handler_id)
            start.wait()
            do_complaint_accept(actor=handler, complaint=Complaint.objects.get(pk=complaint.pk))
            outcomes.append("accepted")
        except ConflictError:
            outcomes.append("refused")
        except BaseException as exc:  # surfaced by the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(pk,)) for pk in handler_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted"] + ["refused"] * (THREADS - 1)
    assert ComplaintStep.objects.filter(complaint=complaint, step="accepted").count() == 1
