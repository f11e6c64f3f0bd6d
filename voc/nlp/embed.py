"""Sentence embeddings with the packaged all-MiniLM-L6-v2, cached by text hash.

Every part of voc that needs a vector (this stage, sentiment, themes, routing) reads and writes one
cache, the store's ``embeddings`` table, keyed by model id and text hash (:func:`cached_vectors`), so
no text is encoded twice, whichever part asks first: this stage encodes each sentence and, in the same
call, the whole customer text of a short document of several sentences, which the sentiment stage
reads from ``DocState.whole_vector``. :func:`encode_texts` is the one call into the
model: texts sorted by token length and cut into batches of about the same number of *tokens* (not
texts), so a batch of short tweet sentences is as large as is useful and a long narrative is not
padded next to a short one.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np

from voc.nlp.pipeline import DocState, Stage, register_stage

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.store import VocStore

Encoder = Callable[[list[str]], np.ndarray]
#: padded tokens per forward pass for each text of ``batch_size`` (64 x 64 = 4096 by default)
TOKENS_PER_TEXT = 64


_preloads: dict[str, threading.Thread] = {}
_preload_lock = threading.Lock()
#: one encoding at a time: a fast tokenizer must not be used by two threads at once
_encode_lock = threading.Lock()


def preload(model_name: str) -> None:
    """Start loading the sentence embedder in a background thread, so that it loads while spaCy
    segments the first documents (``voc analyze`` calls this when documents are pending); the first
    encoding waits for it. A failure is left for that first encoding to report."""
    with _preload_lock:
        if model_name in _preloads:
            return
        thread = threading.Thread(target=_load_quietly, args=(model_name,), name="voc-preload", daemon=True)
        _preloads[model_name] = thread
    thread.start()


def _load_quietly(model_name: str) -> None:
    from voc.nlp.models import load_sentence_transformer
    try:
        load_sentence_transformer(model_name)
    except Exception:  # noqa: BLE001 - the caller's own load raises it with its hint
        pass


def sentence_model(model_name: str):
    """The loaded sentence-transformers model (waiting for a :func:`preload` under way)."""
    with _preload_lock:
        thread = _preloads.get(model_name)
    if thread is not None and thread is not threading.current_thread():
        thread.join()
    from voc.nlp.models import load_sentence_transformer
    return load_sentence_transformer(model_name)


def encode_texts(model_name: str, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 vectors for ``texts`` (no cache), ``(len(texts), dim)``.

    Texts are sorted by token length and grouped so that each forward pass holds about
    ``batch_size * TOKENS_PER_TEXT`` padded tokens: many short sentences at once, few long ones.
    """
    model = sentence_model(model_name)
    texts = list(texts)
    if not texts:
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return np.zeros((0, dimension() or 0), dtype=np.float32)
    limit = model.max_seq_length or 512
    budget = max(1, batch_size) * TOKENS_PER_TEXT
    out: np.ndarray | None = None
    with _encode_lock:
        lengths = [len(ids) for ids in model.tokenizer(texts, truncation=True, max_length=limit)["input_ids"]]
        order = sorted(range(len(texts)), key=lambda i: -lengths[i])
        start = 0
        while start < len(order):
            size = max(1, budget // max(1, lengths[order[start]]))  # the first of a group is its longest
            rows = order[start:start + size]
            vectors = model.encode([texts[i] for i in rows], batch_size=len(rows), normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
            start += size
    assert out is not None
    return out


def cached_vectors(store: "VocStore | None", model_id: str, texts: Iterable[str], encode: Encoder) -> dict[str, np.ndarray]:
    """Vectors of ``texts`` keyed by text hash: read from the store's cache, the rest encoded in one
    call and written back. Without a store, everything is encoded (each distinct text once)."""
    from voc.store.documents import text_hash
    by_hash: dict[str, str] = {}
    for text in texts:
        by_hash.setdefault(text_hash(text), text)
    found = store.cached_embeddings(model_id, by_hash) if store is not None and by_hash else {}
    missing = [h for h in by_hash if h not in found]
    if missing:
        fresh = dict(zip(missing, encode([by_hash[h] for h in missing])))
        if store is not None:
            store.put_embeddings(model_id, fresh)
        found.update(fresh)
    return found


class SentenceEmbedder(Stage):
    """Encodes every sentence once: texts already in the cache (same hash, same model) are reused.

    A short document's customer text read whole (:func:`voc.nlp.sentiment.stage.whole_text`) is encoded in the same call and
    left on ``DocState.whole_vector`` for the sentiment stage.
    """

    name = "voc.embed.minilm.v1"
    needs = frozenset({"sentences"})
    produces = frozenset({"embeddings"})

    def __init__(self, model: str, *, batch_size: int = 64):
        from voc.nlp.models import embedding_model_id
        self.model_name = model
        self.model_id = embedding_model_id(model)
        self.batch_size = batch_size
        self.last_stats: dict[str, int] = {}

    @property
    def version(self) -> str:
        return f"{self.name}/{self.model_id}"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors for ``texts`` (no cache)."""
        return encode_texts(self.model_name, texts, batch_size=self.batch_size)

    def process(self, batch: list[DocState], store: "VocStore") -> None:
        from voc.nlp.sentiment.stage import whole_text
        from voc.store.documents import text_hash
        texts: list[str] = []  # each document's sentences, then its whole text when it is read whole
        wholes: list[tuple[DocState, str]] = []
        for state in batch:
            texts.extend(s.text for s in state.sentences)
            whole = whole_text(state)
            if whole is not None:
                wholes.append((state, whole))
                texts.append(whole)
        encoded: list[str] = []

        def encode(missing: list[str]) -> np.ndarray:
            encoded.extend(missing)
            return self.encode(missing)
        vectors = cached_vectors(store, self.model_id, texts, encode)
        # the figures `voc analyze` reports are about sentences; whole texts are counted on their own
        sentence_hashes = {h for state in batch for h in state.sentence_hashes}
        fresh = sum(text_hash(t) in sentence_hashes for t in encoded)
        self.last_stats = {"encoded": fresh, "cached": len(sentence_hashes) - fresh,
                           "whole_encoded": len(encoded) - fresh}
        for state in batch:
            state.vectors = (np.vstack([vectors[h] for h in state.sentence_hashes]) if state.sentence_hashes
                             else np.zeros((0, 0), dtype=np.float32))
            state.whole_vector = None
        for state, whole in wholes:
            state.whole_vector = vectors[text_hash(whole)]


@register_stage("voc.embed.minilm.v1")
def make_embedder(config: "VocConfig") -> SentenceEmbedder:
    return SentenceEmbedder(config.nlp.embedding_model, batch_size=config.nlp.batch_size)
