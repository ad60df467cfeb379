"""`huitou kb eval`: retrieval and decision quality on a labelled question set."""

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class EvalCase:
    question: str
    expected: str  # the expected standard question; "" = out of scope


@dataclass(frozen=True)
class EvalReport:
    in_scope: int
    out_of_scope: int
    recall_at_1: float | None
    recall_at_3: float | None
    direct_precision: float | None
    answered_correctly: float | None
    out_of_scope_not_answered: float | None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def read_cases(text: str) -> list[EvalCase]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"question", "expected_question"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"missing columns: {', '.join(sorted(missing))}")
    return [
        EvalCase(row["question"].strip(), (row["expected_question"] or "").strip())
        for row in reader
        if (row["question"] or "").strip()
    ]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def evaluate(cases: list[EvalCase], search) -> EvalReport:
    """`search(question)` → SearchResult. Counts as in the issue: Recall@1/@3 over in-scope
    questions; precision of direct answers over all direct answers; the share of in-scope
    questions answered directly and correctly; the share of out-of-scope ones not answered."""
    in_scope = [case for case in cases if case.expected]
    out_scope = [case for case in cases if not case.expected]
    hit1 = hit3 = direct = direct_right = in_direct_right = out_not_answered = 0
    for case in cases:
        result = search(case.question)
        ranked = [candidate.question for candidate in result.candidates]
        answered = result.decision == "answer"
        correct = answered and bool(ranked) and ranked[0] == case.expected
        if case.expected:
            hit1 += bool(ranked) and ranked[0] == case.expected
            hit3 += case.expected in ranked[:3]
            in_direct_right += correct
        else:
            out_not_answered += not answered
        direct += answered
        direct_right += correct
    return EvalReport(
        in_scope=len(in_scope),
        out_of_scope=len(out_scope),
        recall_at_1=_ratio(hit1, len(in_scope)),
        recall_at_3=_ratio(hit3, len(in_scope)),
        direct_precision=_ratio(direct_right, direct),
        answered_correctly=_ratio(in_direct_right, len(in_scope)),
        out_of_scope_not_answered=_ratio(out_not_answered, len(out_scope)),
    )
