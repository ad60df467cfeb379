"""Stored embeddings, background filling, channels and the coarse first pass."""

import numpy as np
import pytest
from django.db import transaction

from huitou.knowledge import engine
from huitou.knowledge.engine import current_index
from huitou.knowledge.models import FaqEntry, FaqVector, KbRevision
from huitou.knowledge.services import do_faq_save
from huitou.knowledge.vectors import EMBEDDER, PASSAGE, QUERY, digest, stored_vectors

KB = [
    ("物流", "运费怎么算？", "满 99 元包邮，不满收 8 元。", ["邮费多少", "快递费怎么收"]),
    ("售后", "怎么申请退款？", "在订单页点“申请退款”。", ["我要退钱"]),
    ("会员", "会员怎么开通？", "在“我的”页开通会员。", ["怎么成为会员"]),
]


def save_kb():
    for category, question, answer, similar in KB:
        do_faq_save(
            actor=None, category=category, question=question, answer=answer, similar=similar
        )


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed in batches."""

    def __init__(self):
        self.embedded: list[str] = []

    def model(self):
        return EMBEDDER.model()

    def embed(self, text):
        return EMBEDDER.embed(text)

    def embed_many(self, texts, *, kind):
        self.embedded.extend(texts)
        return EMBEDDER.embed_many(texts, kind=kind)


@pytest.fixture
def counting(monkeypatch):
    embedder = CountingEmbedder()
    monkeypatch.setattr(engine, "EMBEDDER", embedder)
    return embedder


@pytest.mark.django_db
def test_a_rebuild_reads_stored_vectors_and_embeds_only_what_an_edit_added(counting):
    save_kb()
    first = current_index()
    # 7 questions (standard and similar) and 3 answers, embedded once and stored.
    assert len(counting.embedded) == 10
    assert FaqVector.objects.count() == 10
    counting.embedded.clear()
    do_faq_save(
        actor=None, category="会员", question="会员怎么开通？", answer="在“我的”页开通会员。",
        similar=["怎么成为会员", "怎么办会员卡"],
    )  # fmt: skip
    second = current_index()
    assert second is not first
    assert counting.embedded == ["怎么办会员卡"]
    assert second.search("怎么办会员卡").candidates[0].question == "会员怎么开通？"


@pytest.mark.django_db
def test_the_stored_vector_is_the_models_vector():
    save_kb()
    current_index()
    stored = stored_vectors(["运费怎么算？"], PASSAGE)["运费怎么算？"]
    fresh = EMBEDDER.embed_many(["运费怎么算？"], kind=PASSAGE)[0]
    assert np.allclose(stored, fresh, atol=1e-6)
    assert not stored_vectors(["运费怎么算？"], QUERY)  # the prefix is part of the key
    assert FaqVector.objects.filter(digest=digest("运费怎么算？", PASSAGE)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_fills_the_store_once_per_change_and_is_idempotent():
    with transaction.atomic():
        save_kb()  # three saves in one transaction: one job on commit (immediate in tests)
    assert FaqVector.objects.count() == 10
    filled_at = KbRevision.objects.get().vectors_at
    assert filled_at is not None
    assert engine.do_faq_vectors_fill() == 0  # run again: nothing to do, nothing moves
    assert KbRevision.objects.get().vectors_at == filled_at


@pytest.mark.django_db
def test_too_much_to_embed_in_a_request_answers_with_bm25_until_the_worker_is_done(
    monkeypatch, counting
):
    save_kb()
    monkeypatch.setattr(engine, "INLINE_EMBED_LIMIT", 2)
    filled = []
    monkeypatch.setattr("huitou.knowledge.tasks.fill_faq_vectors", lambda: filled.append(True))
    index = current_index()
    assert index.vectors is None and filled == [True]  # BM25 only, the worker was asked
    assert index.search("运费怎么算").candidates[0].question == "运费怎么算？"
    assert engine.do_faq_vectors_fill() == 10  # the worker's job moves vectors_at ...
    rebuilt = current_index()
    assert rebuilt is not index and rebuilt.vectors is not None  # ... and the index follows


@pytest.mark.django_db
def test_an_entry_is_answered_only_on_the_channels_it_may_be_shown_on(api_as):
    from huitou.knowledge.portal import portal_search
    from huitou.knowledge.services import do_kb_revision_bump

    save_kb()
    FaqEntry.objects.filter(question="会员怎么开通？").update(channels=["portal"])
    do_kb_revision_bump()  # as the admin does after an edit
    index = current_index()
    assert index.search("会员怎么开通", channel="chat").candidates[0].question != "会员怎么开通？"
    assert index.search("会员怎么开通", channel="portal").candidates[0].question == "会员怎么开通？"
    guest = {"name": "李先生", "phone": "13700137000"}  # a hand-off asks for a contact
    reply = api_as(None).post("bot/ask", {"question": "会员怎么开通", **guest}).json()
    assert reply["faq_question"] != "会员怎么开通？"
    assert portal_search("会员怎么开通")[0].question == "会员怎么开通？"


def test_unknown_channels_are_refused_with_the_field_named():
    from django.core.exceptions import ValidationError

    entry = FaqEntry(question="q", answer="a", channels=["sms"])
    with pytest.raises(ValidationError) as error:
        entry.clean()
    assert "channels" in error.value.message_dict


def test_the_split_product_equals_the_plain_one(monkeypatch):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((1001, 384)).astype(np.float32)
    query = rng.standard_normal(384).astype(np.float32)
    monkeypatch.setattr(engine, "PARALLEL_PRODUCT_ROWS", 100)
    assert np.allclose(engine.similarities(vectors, query), vectors @ query, atol=1e-5)
