"""The sentiment model: two readers of the same text, averaged.

- a multinomial logistic regression on the packaged MiniLM sentence embedding (what the text means);
- a logistic regression on TF-IDF word 1-2-grams and character 2-5-grams (how it is said: "thx",
  "!!!", "worst", emoji and misspellings that a small embedding model smooths away).

Their probabilities are averaged and biased towards the rarer labels by amounts tuned for macro-F1 on
held-out data. A model folder holds ``sentiment.json`` (the card: labels, biases, training data,
metrics) and ``weights.npz`` (coefficients, vocabularies, IDF weights; no pickle). The embedding
model is not stored: the card names its fingerprint, and a model trained on another base is refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from voc.errors import ModelUnavailable

LABELS = ("negative", "neutral", "positive")
CONFIG_FILE = "sentiment.json"
WEIGHTS_FILE = "weights.npz"
#: the model shipped with voc (in the repository's models/ folder)
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[3] / "models" / "sentiment"
#: how the lexical reader cuts text; shared by training and prediction
WORD_OPTIONS = {"ngram_range": (1, 2), "sublinear_tf": True, "lowercase": True}
CHAR_OPTIONS = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "lowercase": True}


@dataclass(frozen=True)
class SentimentModelCard:
    """What ``sentiment.json`` says about a model."""

    version: str
    base_model: str
    base_fingerprint: str
    bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    labels: tuple[str, ...] = LABELS
    trained_on: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    trained_at: str = ""

    @classmethod
    def read(cls, folder: Path) -> "SentimentModelCard":
        try:
            raw = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
            raw["bias"] = tuple(raw.get("bias", (0.0, 0.0, 0.0)))
            raw["labels"] = tuple(raw.get("labels", LABELS))
            return cls(**raw)
        except FileNotFoundError:
            raise ModelUnavailable(f"no sentiment model in {folder} ({CONFIG_FILE} is missing). Fix: point "
                                   "[nlp] sentiment_model at a folder written by `voc train sentiment`") from None
        except (TypeError, ValueError) as exc:
            raise ModelUnavailable(f"{folder / CONFIG_FILE} is not a valid sentiment model description ({exc}). "
                                   "Fix: retrain with `voc train sentiment`") from None

    def write(self, folder: Path) -> None:
        data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}
        (folder / CONFIG_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def base_fingerprint(model_dir: Path) -> str:
    """A short hash of the embedding model's weights file, so a head is never paired with the wrong base."""
    weights = next((p for p in (model_dir / "model.safetensors", model_dir / "pytorch_model.bin") if p.exists()), None)
    if weights is None:
        return "unknown"
    h = hashlib.sha256()
    with weights.open("rb") as fh:
        h.update(fh.read(1 << 20))  # the first MiB (header and first tensors) identifies the file
    h.update(str(weights.stat().st_size).encode())
    return h.hexdigest()[:16]


def scores_from_probabilities(probs: np.ndarray, bias: Sequence[float] = (0.0, 0.0, 0.0)) -> tuple[list[str], np.ndarray]:
    """Labels (argmax of log-probability plus bias) and scores ``P(positive) - P(negative)`` in [-1, 1]."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.size == 0:
        return [], np.zeros(0)
    adjusted = np.log(np.clip(probs, 1e-9, 1.0)) + np.asarray(bias, dtype=np.float64)
    labels = [LABELS[i] for i in adjusted.argmax(axis=1)]
    return labels, np.clip(probs[:, 2] - probs[:, 0], -1.0, 1.0)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class LexicalReader:
    """TF-IDF word and character n-grams with a linear layer, rebuilt from stored arrays."""

    def __init__(self, word_vocab: Sequence[str], word_idf: np.ndarray, char_vocab: Sequence[str],
                 char_idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray):
        from sklearn.feature_extraction.text import TfidfVectorizer
        self.word = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(word_vocab)}, **WORD_OPTIONS)
        self.word.idf_ = np.asarray(word_idf, dtype=np.float64)
        self.char = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(char_vocab)}, **CHAR_OPTIONS)
        self.char.idf_ = np.asarray(char_idf, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)

    def features(self, texts: Sequence[str]):
        from scipy.sparse import hstack
        return hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return softmax(np.asarray(self.features(texts) @ self.coef.T) + self.intercept)


class SentimentModel:
    """Three-way sentiment from a sentence's MiniLM embedding and its words."""

    def __init__(self, folder: Path, base_model_dir: Path, *, embedding_model: str = ""):
        self.folder = Path(folder)
        self.card = SentimentModelCard.read(self.folder)
        self.embedding_model = embedding_model or str(base_model_dir)
        fingerprint = base_fingerprint(Path(base_model_dir))
        if self.card.base_fingerprint not in (fingerprint, "unknown"):
            raise ModelUnavailable(
                f"the sentiment model in {self.folder} was trained on a different embedding model "
                f"({self.card.base_model}, fingerprint {self.card.base_fingerprint}; the configured one has "
                f"{fingerprint}). Fix: retrain it with `voc train sentiment`, or configure the embedding model it "
                "was trained on")
        path = self.folder / WEIGHTS_FILE
        if not path.exists():
            raise ModelUnavailable(f"{path} is missing. Fix: retrain with `voc train sentiment`")
        with np.load(path, allow_pickle=False) as w:
            self.emb_coef = w["emb_coef"].astype(np.float32)
            self.emb_intercept = w["emb_intercept"].astype(np.float32)
            self.lexical = LexicalReader(w["word_vocab"].tolist(), w["word_idf"], w["char_vocab"].tolist(),
                                         w["char_idf"], w["lex_coef"], w["lex_intercept"])
        self.weight = float(self.card.settings.get("embedding_weight", 0.5))

    @property
    def version(self) -> str:
        return self.card.version

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray | None = None, *,
                      embedding_weight: float | None = None) -> np.ndarray:
        """``(len(texts), 3)`` probabilities of negative, neutral, positive.

        ``vectors`` are the texts' unit-length MiniLM embeddings when the caller has them (the pipeline
        does); otherwise they are computed here.
        """
        if len(texts) == 0:
            return np.zeros((0, 3), dtype=np.float32)
        if vectors is None:
            from voc.nlp.embed import encode_texts
            vectors = encode_texts(self.embedding_model, list(texts))
        w = self.weight if embedding_weight is None else embedding_weight
        semantic = softmax(np.asarray(vectors, dtype=np.float32) @ self.emb_coef.T + self.emb_intercept)
        lexical = self.lexical.probabilities(list(texts))
        return (w * semantic + (1.0 - w) * lexical).astype(np.float32)

    def predict(self, texts: Sequence[str], vectors: np.ndarray | None = None):
        probs = self.probabilities(texts, vectors)
        labels, scores = scores_from_probabilities(probs, self.card.bias)
        return labels, scores, probs


@functools.lru_cache(maxsize=2)
def load_sentiment_model(folder: str, embedding_model: str) -> SentimentModel:
    """The configured sentiment model, once per process."""
    from voc.nlp.models import embedding_model_dir
    path = Path(folder) if folder else DEFAULT_MODEL_DIR
    return SentimentModel(path, embedding_model_dir(embedding_model), embedding_model=embedding_model)
