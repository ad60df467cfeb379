"""Bot analytics for supervisors: how much the bot resolves, why it hands off, and which
questions it could not answer (clustered: candidates for new FAQ entries)."""

from collections import Counter
from datetime import datetime

from huitou.core.permissions import check_permission

from .models import BotConversation, BotTurn, FaqEntry
from .text import tokens
from .vectors import EMBEDDER

SAME_QUESTION = 0.92  # e5 cosine above which two unanswered questions are one cluster


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def cluster_questions(questions: list[str], *, limit: int = 20) -> list[dict]:
    """Greedy clustering: each question joins the first cluster it is close enough to."""
    clusters: list[dict] = []
    vectors: list = []
    for question in questions:
        vector = EMBEDDER.embed(question)
        words = set(tokens(question))
        for index, cluster in enumerate(clusters):
            if vector is not None and vectors[index] is not None:
                close = float(vectors[index] @ vector) >= SAME_QUESTION
            else:
                union = words | cluster["words"]
                close = bool(union) and len(words & cluster["words"]) / len(union) >= 0.5
            if close:
                cluster["count"] += 1
                cluster["examples"].append(question)
                break
        else:
            clusters.append(
                {"question": question, "count": 1, "examples": [question], "words": words}
            )
            vectors.append(vector)
    clusters.sort(key=lambda cluster: -cluster["count"])
    return [
        {"question": c["question"], "count": c["count"], "examples": c["examples"][:5]}
        for c in clusters[:limit]
    ]


def bot_analytics(*, user, start: datetime, end: datetime) -> dict:
    check_permission(user, "core.view_reports")
    conversations = BotConversation.objects.filter(started_at__gte=start, started_at__lt=end)
    total = conversations.count()
    answered = set(
        BotTurn.objects.filter(conversation__in=conversations, decision="answer").values_list(
            "conversation", flat=True
        )
    )
    handed = conversations.filter(status=BotConversation.Status.HANDED_OFF)
    resolved = len(answered - set(handed.values_list("pk", flat=True)))
    reasons = Counter(handed.values_list("handoff_reason", flat=True))
    unanswered = list(
        BotTurn.objects.filter(conversation__in=conversations, decision__in=["clarify", "handoff"])
        .exclude(question__in=["人工", "转人工", "人工客服"])
        .order_by("-created_at")
        .values_list("question", flat=True)[:500]
    )
    entries = [
        {
            "id": entry.pk,
            "question": entry.question,
            "served": entry.times_served,
            "helpful": entry.helpful_votes,
            "unhelpful": entry.unhelpful_votes,
            "handoffs": entry.handoffs,
            "helpful_rate": _rate(entry.helpful_votes, entry.helpful_votes + entry.unhelpful_votes),
        }
        for entry in FaqEntry.objects.order_by("-times_served", "pk")[:50]
    ]
    return {
        "conversations": total,
        "self_service_resolved": resolved,
        "self_service_rate": _rate(resolved, total),
        "handoffs": handed.count(),
        "handoff_rate": _rate(handed.count(), total),
        "handoff_reasons": dict(reasons),
        "unanswered_clusters": cluster_questions(unanswered),
        "entries": entries,
    }
