"""Writes to the knowledge base. Every change bumps the revision, so each process's index
is rebuilt before it answers its next question."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError, check_text
from huitou.core.permissions import check_permission

from .models import FaqCategory, FaqEntry, FaqVersion, KbRevision, SimilarQuestion
from .tasks import fill_faq_vectors


def do_kb_revision_bump() -> None:
    # The time goes with the number: a restored (or rolled-back) database that reaches the
    # same number again still reads as a different revision.
    updated = KbRevision.objects.filter(pk=1).update(
        number=F("number") + 1, updated_at=timezone.now()
    )
    if not updated:
        KbRevision.objects.get_or_create(pk=1, defaults={"number": 1})
    # One embedding job per transaction, however many entries it changed (an import).
    connection = transaction.get_connection()
    if not any(callback is _schedule_vectors_fill for _s, callback, _r in connection.run_on_commit):
        transaction.on_commit(_schedule_vectors_fill)


def _schedule_vectors_fill() -> None:
    fill_faq_vectors()


def check_faq_fields(*, category: str, question: str, answer: str, similar) -> dict:
    category = check_text((category or "").strip(), field="category", max_length=64)
    question = check_text((question or "").strip(), field="question", max_length=200)
    answer = check_text((answer or "").strip(), field="answer", max_length=20000)
    if not category:
        raise DomainError(_("分类不能为空。"), field="category")
    if not question:
        raise DomainError(_("标准问题不能为空。"), field="question")
    if not answer:
        raise DomainError(_("答案不能为空。"), field="answer")
    cleaned = []
    for text in similar or []:
        text = check_text((text or "").strip(), field="similar_questions", max_length=200)
        if text and text != question and text not in cleaned:
            cleaned.append(text)
    return {"category": category, "question": question, "answer": answer, "similar": cleaned}


@transaction.atomic
def do_faq_save(
    *, actor, category: str, question: str, answer: str, similar=(), status: str = "published"
) -> tuple[FaqEntry, str]:
    """Create the entry, or update the one with this standard question (a new version when
    anything changed). Returns (entry, "created" | "updated" | "unchanged")."""
    if actor is not None:
        check_permission(actor, "knowledge.change_faqentry")
    fields = check_faq_fields(category=category, question=question, answer=answer, similar=similar)
    if status not in FaqEntry.Status.values:
        raise DomainError(_("状态必须是 draft 或 published。"), field="status")
    category_row, _created = FaqCategory.objects.get_or_create(name=fields["category"])
    entry = FaqEntry.objects.select_for_update().filter(question=fields["question"]).first()
    outcome = "created"
    if entry is None:
        entry = FaqEntry.objects.create(
            category=category_row,
            question=fields["question"],
            answer=fields["answer"],
            status=status,
        )
    else:
        current = list(entry.similar.values_list("text", flat=True))
        if (
            entry.answer == fields["answer"]
            and entry.category_id == category_row.pk
            and current == fields["similar"]
            and entry.status == status
        ):
            return entry, "unchanged"
        entry.category, entry.answer, entry.status = category_row, fields["answer"], status
        entry.version += 1
        entry.save()
        entry.similar.all().delete()
        outcome = "updated"
    SimilarQuestion.objects.bulk_create(
        SimilarQuestion(entry=entry, text=text) for text in fields["similar"]
    )
    FaqVersion.objects.create(
        entry=entry,
        version=entry.version,
        question=entry.question,
        answer=entry.answer,
        similar=fields["similar"],
        actor=actor,
    )
    do_kb_revision_bump()
    return entry, outcome
