"""`python -m bench.kb`: the FAQ engine's quality and speed.

1. Quality on labelled sets, side by side: a plain baseline (jieba words + BM25, nothing
   else), our lexical path (normalisation, words + character bigrams, BM25), and the hybrid
   with e5. The sets: the shared development set (../shared/data/faq-dev, or BENCH_KB_DEV,
   telecom) and our own in bench/faq-sets/ (an online shop, a bank's card centre, an express
   company, a power and gas utility), written independently of the development set to catch
   tuning to its wording (the last two in its style, the first two more situational).
2. Speed with a synthetic knowledge base of 10,000 entries × 5 similar questions, stored in a
   temporary SQLite database with its vectors: the index build a process does after a change
   (read entries and stored vectors, BM25, the coarse projection), its memory, the one-time
   cost of embedding texts that have no stored vector (the worker's job, measured on a
   sample), and per-question latency p50/p99 including the real query embedding. Baseline
   for the ratios: one plain BM25 query on the same index.
"""

import csv
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ENTRIES = int(os.environ.get("BENCH_KB_ENTRIES", "10000"))
SIMILAR = 5
HERE = Path(__file__).resolve().parent
DEV = Path(os.environ.get("BENCH_KB_DEV", HERE.parents[1] / "shared/data/faq-dev"))
SETS = {
    "dev (telecom)": DEV,
    "ecommerce": HERE / "faq-sets/ecommerce",
    "bank": HERE / "faq-sets/bank",
    "express": HERE / "faq-sets/express",
    "utility": HERE / "faq-sets/utility",
}


def setup(var_dir: Path) -> None:
    os.environ["HUITOU_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench-kb.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "huitou.config.settings.test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_set(folder: Path):
    from huitou.knowledge.engine import Document
    from huitou.knowledge.evaluation import read_cases

    rows = list(csv.DictReader((folder / "faq.csv").open(encoding="utf-8-sig")))
    docs = [
        Document(i, row["question"], text)
        for i, row in enumerate(rows)
        for text in [row["question"], *filter(None, (row["similar_questions"] or "").split("|"))]
    ]
    answers = {i: f"{row['question']}：{row['answer']}" for i, row in enumerate(rows)}
    cases = read_cases((folder / "questions.csv").read_text(encoding="utf-8-sig"))
    return rows, docs, answers, cases


def baseline_search(rows, docs):
    """A plain jieba-words + BM25 engine that always answers its first hit."""
    import bm25s
    import rjieba

    from huitou.knowledge.engine import Candidate, SearchResult

    plain = bm25s.BM25()
    plain.index([list(rjieba.cut(doc.text.lower())) or ["#"] for doc in docs], show_progress=False)

    def search(question):
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

    return search


def quality() -> None:
    from huitou.knowledge.engine import FaqIndex
    from huitou.knowledge.evaluation import evaluate

    header = ("", "R@1", "R@3", "direct precision", "answered right", "out-of-scope held")
    for name, folder in SETS.items():
        if not (folder / "faq.csv").exists():
            print(f"quality: no set at {folder} (set BENCH_KB_DEV for the development set)")
            continue
        rows, docs, answers, cases = load_set(folder)
        print(f"quality, {name}: {len(rows)} entries, {len(cases)} questions ({folder})")
        print("  " + " | ".join(f"{h:>16}" for h in header))
        for label, search in (
            ("jieba+BM25", baseline_search(rows, docs)),
            ("ours, lexical", FaqIndex(docs, embedder=None).search),
            ("ours, hybrid", FaqIndex(docs, answers=answers).search),
        ):
            r = evaluate(cases, search)
            figures = (r.recall_at_1, r.recall_at_3, r.direct_precision, r.answered_correctly,
                       r.out_of_scope_not_answered)  # fmt: skip
            cells = [f"{label:>16}", *(f"{v if v is not None else '—':>16}" for v in figures)]
            print("  " + " | ".join(cells))
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
    """(standard question, [similar questions]) for each synthetic entry."""
    entries = []
    for entry in range(ENTRIES):
        subject = f"{rng.choice(SUBJECTS)}{entry % 97}号{rng.choice(SUBJECTS)}"
        question = f"{subject}{rng.choice(ACTIONS)}{entry}"
        similar = []
        while len(similar) < SIMILAR:
            text = f"{rng.choice(PREFIXES)}{subject}{rng.choice(ACTIONS)}{rng.choice(SUFFIXES)}"
            if text not in similar and text != question:
                similar.append(text)
        entries.append((question, similar))
    return entries


def store_kb(entries, rng: random.Random) -> None:
    """The knowledge base as the worker leaves it: entries, similar questions and a stored
    vector for every text (random unit vectors: the build does not depend on their values,
    and embedding 70,000 texts for real is the worker's one-time job measured below)."""
    import numpy as np

    from huitou.knowledge.models import FaqCategory, FaqEntry, KbRevision, SimilarQuestion
    from huitou.knowledge.vectors import PASSAGE, do_vectors_store

    category = FaqCategory.objects.create(name="综合")
    FaqEntry.objects.bulk_create(
        [
            FaqEntry(category=category, question=question, answer=f"{question}的办理说明。")
            for question, _similar in entries
        ],
        batch_size=2000,
    )
    ids = dict(FaqEntry.objects.values_list("question", "pk"))
    SimilarQuestion.objects.bulk_create(
        [
            SimilarQuestion(entry_id=ids[question], text=text)
            for question, similar in entries
            for text in similar
        ],
        batch_size=5000,
    )
    texts = [text for question, similar in entries for text in (question, *similar)]
    answers = [f"{question}：{question}的办理说明。" for question, _similar in entries]
    do_vectors_store(texts, rng_vectors(len(texts), np), kind=PASSAGE)
    do_vectors_store(answers, rng_vectors(len(answers), np), kind=PASSAGE)
    KbRevision.objects.create(pk=1, number=1)


def speed() -> None:
    from huitou.knowledge.engine import build_index
    from huitou.knowledge.text import tokens
    from huitou.knowledge.vectors import EMBEDDER, QUERY

    rng = random.Random(7)
    entries = synthetic(rng)
    store_kb(entries, rng)
    EMBEDDER.model()  # loaded once per process, before anything is timed
    tracemalloc.start()
    started = time.perf_counter()
    index = build_index(embed_limit=0)
    build = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert index.vectors is not None, "the stored vectors were not used"
    arrays = index.matrix.nbytes
    sample = [f"{text}。" for _q, similar in rng.sample(entries, 64) for text in similar[:4]]
    started = time.perf_counter()
    EMBEDDER.embed_many(sample, kind=QUERY)
    per_text = (time.perf_counter() - started) / len(sample)
    texts = len(index.documents) + len(index.entries)
    # Real customers' wording: the questions of the labelled sets (as short or long as people
    # type them), and longer synthetic ones (a polite prefix + a similar question).
    labelled = [
        case.question
        for folder in SETS.values()
        if (folder / "questions.csv").exists()
        for case in load_set(folder)[3]
    ]
    synthetic_queries = [
        f"{rng.choice(PREFIXES)}{rng.choice(similar)}" for _q, similar in rng.sample(entries, 300)
    ]
    for query in synthetic_queries[:10]:
        index.search(query)
    latencies, embedding, lexical = [], [], []
    for query in labelled or synthetic_queries:
        EMBEDDER._cache.clear()  # no cache hits: every question is embedded
        started = time.perf_counter()
        index.search(query)
        latencies.append(time.perf_counter() - started)
        started = time.perf_counter()
        EMBEDDER.model().query(query)
        embedding.append(time.perf_counter() - started)
        started = time.perf_counter()
        index._lexical(tokens(query, index.vocabulary))
        lexical.append(time.perf_counter() - started)
    long_ones = []
    for query in synthetic_queries[10:]:
        EMBEDDER._cache.clear()
        started = time.perf_counter()
        index.search(query)
        long_ones.append(time.perf_counter() - started)
    ordered = sorted(latencies)
    p50, p99 = statistics.median(latencies), ordered[int(len(ordered) * 0.99) - 1]
    base = statistics.median(lexical)
    print(f"speed with {ENTRIES:,} entries × {SIMILAR} similar questions "
          f"({len(index.documents):,} documents, {texts:,} texts with vectors):")  # fmt: skip
    print(
        f"  index build from the store (what a process does after a change): {build:.1f} s "
        f"(target < 60 s); memory: peak {peak / 2**20:.0f} MiB while building, "
        f"{arrays / 2**20:.0f} MiB of vectors held"
    )
    print(
        f"  embedding texts without a stored vector (the worker, in batches): "
        f"{per_text * 1000:.1f} ms per text → {per_text * texts / 60:.1f} min for a whole new "
        f"KB of this size, once; an edit embeds only its own texts"
    )
    length = statistics.mean(len(query) for query in labelled or synthetic_queries)
    print(
        f"  per question, hybrid ({len(latencies)} customer questions, {length:.1f} characters "
        f"on average): p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms ({p50 / base:.1f}× a "
        f"plain BM25 query, {base * 1000:.1f} ms; the query embedding alone p50 "
        f"{statistics.median(embedding) * 1000:.1f} ms; targets p50 ≤ 20, p99 ≤ 60)"
    )
    ordered = sorted(long_ones)
    print(
        f"  per question, longer synthetic ones ({statistics.mean(map(len, synthetic_queries)):.1f}"
        f" characters): p50 {statistics.median(long_ones) * 1000:.1f} ms, "
        f"p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:.1f} ms"
    )


def rng_vectors(count, np):
    generator = np.random.default_rng(7)
    vectors = generator.standard_normal((count, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        setup(Path(tmp))
        quality()
        speed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
