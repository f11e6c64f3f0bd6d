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
        from voc.nlp.models import load_sentence_transformer
        st = load_sentence_transformer(model)
        return np.asarray(st.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)
    return encode


def cached_encoder(store: "VocStore", model_id: str, encode: Encoder) -> Encoder:
    """``encode`` behind the store's embedding cache (keyed by text hash and model id)."""
    from voc.store.documents import text_hash

    def cached(texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return encode([])
        hashes = [text_hash(t) for t in texts]
        found = store.cached_embeddings(model_id, hashes)
        missing = list(dict.fromkeys(h for h in hashes if h not in found))
        if missing:
            first = {h: t for h, t in zip(hashes, texts) if h in set(missing)}
            fresh = dict(zip(missing, encode([first[h] for h in missing])))
            store.put_embeddings(model_id, fresh)
            found.update(fresh)
        return np.vstack([found[h] for h in hashes]).astype(np.float32)
    return cached
