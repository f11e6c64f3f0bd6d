"""Semantic search over sentence embeddings: an in-memory matrix of the stored MiniLM vectors.

:class:`SemanticIndex` loads the vectors the pipeline stored (table ``embeddings``) once and reloads
them when the sentences change; a query is encoded with the same model (imported on the first
query only) and scored by cosine similarity (the vectors are unit length). Thread-safe: one index
serves every request thread of the web server.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from voc.store import VocStore


def model_available(name: str) -> bool:
    """Whether the embedding model and sentence-transformers are installed (nothing is imported)."""
    import importlib.util

    from voc.errors import ModelUnavailable
    from voc.nlp.models import embedding_model_dir
    if importlib.util.find_spec("sentence_transformers") is None:
        return False
    try:
        embedding_model_dir(name)
    except ModelUnavailable:
        return False
    return True


class SemanticIndex:
    """Vectors of every sentence with an embedding from ``model_name``, kept current."""

    def __init__(self, model_name: str):
        from voc.nlp.models import embedding_model_id
        self.model_name = model_name
        self.model_id = embedding_model_id(model_name)
        self.available = model_available(model_name)
        self._lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self._signature: tuple[int, int] | None = None
        self._queries: dict[str, np.ndarray] = {}
        self._threads_set = False
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, 0), dtype=np.float32)

    def refresh(self, store: "VocStore") -> int:
        """Load the vectors of sentences added since the last look; return how many are loaded.

        Sentence ids only grow (re-analysis writes new rows), so new vectors are appended. Ids of
        sentences since deleted stay in the matrix until :meth:`reload` and are dropped when the
        hits are looked up. New embeddings of already loaded sentences trigger a full reload.
        """
        signature = store.sentences_signature()
        if signature != self._signature:
            with self._lock:
                if signature != self._signature:
                    last = int(self._ids[-1]) if len(self._ids) else 0
                    if self._signature is not None and signature[0] == self._signature[0]:
                        last = 0  # only embeddings changed: they may belong to loaded sentences
                    ids, vectors = store.sentence_vectors_after(self.model_id, last)
                    if last and len(ids) and vectors.shape[1] == self._vectors.shape[1]:
                        self._ids = np.concatenate([self._ids, ids])
                        self._vectors = np.concatenate([self._vectors, vectors])
                    elif not last:
                        self._ids, self._vectors = ids, np.ascontiguousarray(vectors)
                    self._signature = signature
        return len(self._ids)

    def reload(self) -> None:
        """Forget what is loaded; the next search reads every vector again."""
        with self._lock:
            self._signature = None
            self._ids = np.zeros(0, dtype=np.int64)
            self._vectors = np.zeros((0, 0), dtype=np.float32)

    def encode(self, text: str) -> np.ndarray:
        """The query's unit vector; recent queries are remembered.

        One query at a time (the tokenizer is not thread-safe), on one torch thread: a web server
        gets its parallelism from concurrent requests, and several threads per tiny query only
        fight over the cores (on a busy 2-core machine: ~50 ms instead of ~650 ms).
        """
        cached = self._queries.get(text)
        if cached is not None:
            return cached
        from voc.nlp.models import load_sentence_transformer
        model = load_sentence_transformer(self.model_name)
        with self._encode_lock:
            if not self._threads_set:
                import torch
                torch.set_num_threads(1)
                self._threads_set = True
            vector = model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            vector = np.asarray(vector[0], dtype=np.float32)
            if len(self._queries) >= 1024:
                self._queries.pop(next(iter(self._queries)))
            self._queries[text] = vector
        return vector

    def search(self, store: "VocStore", query: str, *, k: int,
               allowed: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """``(sentence id, cosine similarity)`` of the ``k`` nearest sentences (among ``allowed``)."""
        if not self.available or not self.refresh(store):
            return []
        ids, vectors = self._ids, self._vectors  # one consistent snapshot
        q = self.encode(query)
        if q.shape[0] != vectors.shape[1]:
            return []
        scores = vectors @ q
        if allowed is not None:
            mask = np.isin(ids, np.asarray(allowed, dtype=np.int64))
            scores = np.where(mask, scores, -np.inf)
        k = min(k, int(np.isfinite(scores).sum()))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(ids[i]), float(scores[i])) for i in top]
