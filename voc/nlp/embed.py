"""Sentence embeddings with the packaged all-MiniLM-L6-v2, cached by text hash."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from voc.nlp.pipeline import DocState, Stage, register_stage

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.store import VocStore


class SentenceEmbedder(Stage):
    """Encodes every sentence once: texts already in the cache (same hash, same model) are reused."""

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
        from voc.nlp.models import load_sentence_transformer
        model = load_sentence_transformer(self.model_name)
        vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def process(self, batch: list[DocState], store: "VocStore") -> None:
        texts: dict[str, str] = {}
        for state in batch:
            for sentence, h in zip(state.sentences, state.sentence_hashes):
                texts.setdefault(h, sentence.text)
        cached = store.cached_embeddings(self.model_id, texts)
        missing = [h for h in texts if h not in cached]
        fresh: dict[str, np.ndarray] = {}
        if missing:
            fresh = dict(zip(missing, self.encode([texts[h] for h in missing])))
            store.put_embeddings(self.model_id, fresh)
        self.last_stats = {"encoded": len(missing), "cached": len(texts) - len(missing)}
        vectors = {**cached, **fresh}
        for state in batch:
            state.vectors = (np.vstack([vectors[h] for h in state.sentence_hashes]) if state.sentence_hashes
                             else np.zeros((0, 0), dtype=np.float32))


@register_stage("voc.embed.minilm.v1")
def make_embedder(config: "VocConfig") -> SentenceEmbedder:
    return SentenceEmbedder(config.nlp.embedding_model, batch_size=config.nlp.batch_size)
