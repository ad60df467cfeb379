"""What surveys keep of a customer (customers.holders): their invitations (the address they
were sent to) and their answers. An erasure clears what identifies or was written by the
person — addresses, comments, free-text answers — and keeps the numbers, unlinked, so the
figures of the past do not change."""

from huitou.customers.holders import PersonalDataHolder, register_holder
from huitou.customers.models import Customer

from .models import Answer, Invitation, Response


def export(customer: Customer) -> list[dict]:
    responses = (
        Response.objects.filter(customer=customer)
        .order_by("answered_at", "pk")
        .values("pk", "ticket__number", "questionnaire__code", "rating", "nps", "comment",
                "reason", "answered_at", "changed_at")
    )  # fmt: skip
    rows = []
    for response in responses:
        answers = Answer.objects.filter(response_id=response["pk"]).order_by("pk")
        response["answers"] = list(
            answers.values("question__key", "item", "choice", "number", "text")
        )
        rows.append(response)
    invitations = Invitation.objects.filter(customer=customer).order_by("created_at", "pk")
    rows += list(
        invitations.values("kind", "ticket__number", "state", "channel", "address", "sent_at")
    )
    return rows


def do_survey_answers_erase(*, actor, customer: Customer) -> int:
    responses = Response.objects.filter(customer=customer)
    changed = Answer.objects.filter(response__in=responses).exclude(text="").update(text="")
    changed += responses.update(comment="", customer=None)
    changed += Invitation.objects.filter(customer=customer).update(address="", customer=None)
    return changed


def register() -> None:
    register_holder(
        PersonalDataHolder(name="surveys", export=export, erase=do_survey_answers_erase)
    )
