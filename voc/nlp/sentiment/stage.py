"""The sentiment stage: every sentence, the document (customer side only) and a conversation's arc."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from voc.nlp.pipeline import DocState, Stage, register_stage
from voc.nlp.sentiment.model import LABELS, scores_from_probabilities
from voc.records import VOICE_ROLES, SentimentScore

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.nlp.sentiment.model import SentimentModel
    from voc.store import VocStore

#: a document whose customer text is at most this long is also read as a whole (short posts, notes)
WHOLE_TEXT_CHARS = 600
#: sentences averaged for the start and for the end of a conversation (fewer in short ones)
ARC_SENTENCES = 3


def voice_indices(roles: Sequence[str]) -> list[int]:
    """The sentences that speak for the customer: customer and participant turns; in a document where
    no turn has such a role, the unknown ones; agent and moderator words never count."""
    voice = [i for i, r in enumerate(roles) if r in VOICE_ROLES]
    return voice or [i for i, r in enumerate(roles) if r == "unknown"]


def whole_text(state: DocState) -> str | None:
    """The customer's side of a short document as one text, when it has more than one sentence and
    at most WHOLE_TEXT_CHARS characters (it is then read whole); None otherwise. The embedding stage
    encodes it with the sentences, in the same call, and leaves its vector on ``state.whole_vector``."""
    voice = voice_indices([s.role for s in state.sentences])
    if len(voice) < 2:
        return None
    joined = " ".join(state.sentences[j].text for j in voice)
    return joined if len(joined) <= WHOLE_TEXT_CHARS else None


def document_probabilities(sentence_probs: np.ndarray, lengths: Sequence[int],
                           whole: np.ndarray | None = None) -> np.ndarray:
    """The document's probabilities: the whole text's reading when it was short enough to be read
    whole (the model learnt on whole posts, sentences and reviews, and a short text's sentences lean on
    each other: "Great. Another delay."), else the sentences' weighted by the square root of their length."""
    if whole is not None:
        return np.asarray(whole, dtype=np.float64)
    weights = np.sqrt(np.maximum(np.asarray(lengths, dtype=np.float64), 1.0))
    return (sentence_probs * weights[:, None]).sum(axis=0) / weights.sum()


def sentiment_arc(scores: Sequence[float]) -> dict[str, float] | None:
    """The customer's sentiment at the start and the end of a conversation, and the shift between them."""
    if len(scores) < 2:
        return None
    k = max(1, min(ARC_SENTENCES, len(scores) // 3))
    start, end = float(np.mean(scores[:k])), float(np.mean(scores[-k:]))
    return {"start": round(start, 4), "end": round(end, 4), "shift": round(end - start, 4)}


class SentimentStage(Stage):
    """Labels every sentence negative/neutral/positive with a score in [-1, 1] and aggregates per document."""

    name = "voc.sentiment.minilm.v1"
    needs = frozenset({"sentences", "embeddings"})
    produces = frozenset({"sentiment"})

    def __init__(self, model_folder: str, embedding_model: str, *, model: "SentimentModel | None" = None):
        self.model_folder = model_folder
        self.embedding_model = embedding_model
        self._model = model

    @property
    def model(self) -> "SentimentModel":
        if self._model is None:
            from voc.nlp.sentiment.model import load_sentiment_model
            self._model = load_sentiment_model(self.model_folder, self.embedding_model)
        return self._model

    @property
    def version(self) -> str:
        return f"{self.name}/{self.model.version}"

    def process(self, batch: list[DocState], store: "VocStore") -> None:
        texts: list[str] = []
        wholes: list[tuple[int, str]] = []
        voices = [voice_indices([s.role for s in state.sentences]) for state in batch]
        for i, state in enumerate(batch):
            texts.extend(s.text for s in state.sentences)
            whole = whole_text(state)
            if whole is not None:
                wholes.append((i, whole))
        # sentences and the short documents read whole reuse the embedding stage's vectors
        spoken = [s for s in batch if s.sentences]
        ready = spoken and all(s.vectors is not None and len(s.vectors) == len(s.sentences) for s in spoken)
        sentence_probs = self.model.probabilities(texts, np.vstack([s.vectors for s in spoken]) if ready else None)
        whole_probs = dict(zip((i for i, _ in wholes),
                               self.model.probabilities([w for _, w in wholes], self._whole_vectors(batch, wholes))))
        bias, version = self.model.card.bias, self.version
        start = 0
        for i, (state, voice) in enumerate(zip(batch, voices)):
            n = len(state.sentences)
            p = sentence_probs[start:start + n]
            start += n
            labels, scores = scores_from_probabilities(p, bias)
            state.sentiment = [SentimentScore(label, round(float(score), 4), version)
                               for label, score in zip(labels, scores)]
            if not voice:
                state.document_sentiment, state.sentiment_arc = None, None
                continue
            doc_p = document_probabilities(p[voice], [len(state.sentences[j].text) for j in voice],
                                           whole_probs.get(i))
            (label,), (score,) = scores_from_probabilities(doc_p[None, :], bias)
            state.document_sentiment = SentimentScore(label, round(float(score), 4), version)
            conversation = bool(state.document.utterances)
            state.sentiment_arc = sentiment_arc([float(scores[j]) for j in voice]) if conversation else None

    @staticmethod
    def _whole_vectors(batch: list[DocState], wholes: list[tuple[int, str]]) -> np.ndarray | None:
        """The whole texts' vectors from the embedding stage; None when a stage before this one
        produced sentence vectors only (the model then encodes the whole texts itself)."""
        if not wholes or any(batch[i].whole_vector is None for i, _ in wholes):
            return None
        return np.vstack([batch[i].whole_vector for i, _ in wholes])


@register_stage("voc.sentiment.minilm.v1")
def make_sentiment_stage(config: "VocConfig") -> SentimentStage:
    return SentimentStage(config.sentiment_model_dir, config.nlp.embedding_model)


__all__ = ["LABELS", "SentimentStage", "document_probabilities", "sentiment_arc", "voice_indices", "whole_text"]
