"""`python -m bench.kb`: the FAQ engine's quality and speed.

1. Quality on the development set (../shared/data/faq-dev, or BENCH_KB_DEV), side by side:
   a plain baseline (jieba words + BM25, nothing else), our lexical path (normalisation,
   words + character bigrams, BM25), and the hybrid with the e5 re-rank.
2. Speed with a synthetic knowledge base (10,000 entries × 5 similar questions): BM25 index
   build, e5 embedding of the documents (timed on a sample and extrapolated: see the note),
   per-question latency p50/p99 including the query embedding and the dense product, and the
   index's memory. Baseline for the ratios: one plain BM25 query on the same index.
"""

import csv
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ENTRIES = int(os.environ.get("BENCH_KB_ENTRIES", "10000"))
SIMILAR = 5
DEV = Path(
    os.environ.get("BENCH_KB_DEV", Path(__file__).resolve().parents[2] / "shared/data/faq-dev")
)


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huitou.config.settings.test")
    import django

    django.setup()


def quality() -> None:
    import bm25s
    import rjieba

    from huitou.knowledge.engine import Candidate, Document, FaqIndex, SearchResult
    from huitou.knowledge.evaluation import evaluate, read_cases

    faq, questions = DEV / "faq.csv", DEV / "questions.csv"
    if not faq.exists():
        print(f"quality: no development set at {DEV} (set BENCH_KB_DEV)")
        return
    rows = list(csv.DictReader(faq.open(encoding="utf-8-sig")))
    docs = [
        Document(i, row["question"], text)
        for i, row in enumerate(rows)
        for text in [row["question"], *filter(None, (row["similar_questions"] or "").split("|"))]
    ]
    cases = read_cases(questions.read_text(encoding="utf-8-sig"))
    answers = {i: f"{row['question']}：{row['answer']}" for i, row in enumerate(rows)}

    plain = bm25s.BM25()
    plain.index([list(rjieba.cut(doc.text.lower())) or ["#"] for doc in docs], show_progress=False)

    def baseline(question):
        words = [w for w in rjieba.cut(question.lower()) if w in plain.vocab_dict]
        if not words:
            return SearchResult()
        scores = plain.get_scores(words)
        best: dict[int, float] = {}
        for index in scores.argsort()[::-1][:40]:
            best.setdefault(docs[index].entry_id, float(scores[index]))
        ranked = sorted(best.items(), key=lambda pair: -pair[1])[:4]
        candidates = [Candidate(e, rows[e]["question"], s, 1.0) for e, s in ranked]
        return SearchResult(candidates=candidates, decision="answer" if ranked else "handoff")

    print(f"quality on {DEV} ({len(rows)} entries, {len(cases)} questions):")
    header = ("", "R@1", "R@3", "direct precision", "answered right", "out-of-scope held")
    print("  " + " | ".join(f"{h:>16}" for h in header))
    for label, search in (
        ("jieba+BM25", baseline),
        ("ours, lexical", FaqIndex(docs, embedder=None).search),
        ("ours, hybrid", FaqIndex(docs, answers=answers).search),
    ):
        r = evaluate(cases, search)
        figures = (r.recall_at_1, r.recall_at_3, r.direct_precision, r.answered_correctly,
                   r.out_of_scope_not_answered)  # fmt: skip
        print(
            "  "
            + " | ".join([f"{label:>16}", *(f"{v if v is not None else '—':>16}" for v in figures)])
        )
    print("  targets: R@1 ≥ 0.90, R@3 ≥ 0.97, precision ≥ 0.95, answered ≥ 0.75, held ≥ 0.90")


SUBJECTS = [
    "宽带",
    "话费",
    "流量",
    "套餐",
    "积分",
    "发票",
    "快递",
    "退款",
    "会员",
    "优惠券",
    "空调",
    "冰箱",
    "洗衣机",
    "热水器",
    "订单",
    "地址",
    "密码",
    "账户",
    "合约",
    "副卡",
]
ACTIONS = ["怎么办理", "怎么取消", "多少钱", "多久到账", "在哪里查", "能不能改", "为什么失败",
           "有什么条件", "需要什么材料", "怎么申请"]  # fmt: skip
PREFIXES = ["", "请问", "我想问下", "麻烦问一下", "你好，"]
SUFFIXES = ["", "？", "呢", "啊", "吗"]


def synthetic(rng: random.Random):
    from huitou.knowledge.engine import Document

    docs = []
    for entry in range(ENTRIES):
        subject = f"{rng.choice(SUBJECTS)}{entry % 97}号{rng.choice(SUBJECTS)}"
        question = f"{subject}{rng.choice(ACTIONS)}"
        docs.append(Document(entry, question, question))
        for _ in range(SIMILAR):
            text = f"{rng.choice(PREFIXES)}{subject}{rng.choice(ACTIONS)}{rng.choice(SUFFIXES)}"
            docs.append(Document(entry, question, text))
    return docs


def speed() -> None:
    import numpy as np

    from huitou.knowledge.engine import EMBEDDER, FaqIndex

    rng = random.Random(7)
    docs = synthetic(rng)
    tracemalloc.start()
    started = time.perf_counter()
    index = FaqIndex(docs, embedder=None)
    build = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sample = [doc.text for doc in rng.sample(docs, 300)]
    started = time.perf_counter()
    for text in sample:
        EMBEDDER.embed(text + " ")  # a fresh text each: no cache hits
    per_doc = (time.perf_counter() - started) / len(sample)
    # The dense side of the index: one unit vector per document.
    vectors = rng_vectors(len(docs), np)
    index.vectors, index.embedder = vectors, EMBEDDER
    queries = [f"{rng.choice(PREFIXES)}{doc.text}" for doc in rng.sample(docs, 200)]
    for query in queries[:5]:
        index.search(query)
    latencies = []
    for query in queries:
        started = time.perf_counter()
        index.search(query)
        latencies.append(time.perf_counter() - started)
    lexical = []
    for query in queries:
        started = time.perf_counter()
        index._lexical(__import__("huitou.knowledge.text", fromlist=["tokens"]).tokens(query))
        lexical.append(time.perf_counter() - started)
    p50, p99 = statistics.median(latencies), sorted(latencies)[int(len(latencies) * 0.99) - 1]
    base = statistics.median(lexical)
    print(
        f"speed with {ENTRIES:,} entries × {SIMILAR} similar questions ({len(docs):,} documents):"
    )
    memory = peak / 2**20
    print(f"  BM25 index build: {build:.1f} s; memory (peak while building): {memory:.0f} MiB")
    minutes = per_doc * len(docs) / 60
    print(
        f"  e5 embedding: {per_doc * 1000:.1f} ms per document → {minutes:.1f} min for all "
        f"(target: the whole index under 60 s); vectors: {vectors.nbytes / 2**20:.0f} MiB"
    )
    print(
        f"  per question, hybrid: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
        f"({p50 / base:.1f}× the BM25 part alone, {base * 1000:.1f} ms; targets p50 ≤ 20, p99 ≤ 60)"
    )


def rng_vectors(count, np):
    generator = np.random.default_rng(7)
    vectors = generator.standard_normal((count, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def main() -> int:
    setup()
    quality()
    speed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
