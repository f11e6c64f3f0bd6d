"""MiniLM vectors for routing, read from and written to the store's embedding cache."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from voc.store import VocStore

Encoder = Callable[[list[str]], np.ndarray]


def minilm_encoder(model: str, *, batch_size: int = 64) -> Encoder:
    """Unit vectors from the packaged sentence embedder; the model loads on first use."""
    def encode(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        from voc.nlp.embed import encode_texts
        return encode_texts(model, list(texts), batch_size=batch_size)
    return encode


def cached_encoder(store: "VocStore", model_id: str, encode: Encoder) -> Encoder:
    """``encode`` behind the store's embedding cache (keyed by text hash and model id), the one every
    part of voc shares (:func:`voc.nlp.embed.cached_vectors`)."""
    from voc.nlp.embed import cached_vectors
    from voc.store.documents import text_hash

    def cached(texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return encode([])
        found = cached_vectors(store, model_id, texts, encode)
        return np.vstack([found[text_hash(t)] for t in texts]).astype(np.float32)
    return cached
