"""The broken-promise detector: spaCy rule cues and a learned head on MiniLM sentence vectors.

Each sentence is described by its MiniLM vector, its own rule cues (:data:`cues.FEATURES`) and the
non-fulfilment cues of the sentences around it (a commitment is often stated in one sentence and
broken in the next). A logistic-regression head, trained on hand-labelled dev texts
(``python -m voc.nlp.promises.train``), turns that into a probability per sentence. A second head
reads the whole document (:func:`document_row`) and the document is judged on a mix of the two:
it holds a broken promise when the rules found a commitment cue somewhere and the score clears
``threshold``, or, without any cue, when it clears the stricter ``threshold_uncued``; then its best
cued sentence is the one reported. Neither the rules nor the learned part decide alone.

The weights live in ``models/promises/detector.npz`` (plain arrays, no pickle) beside a model card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from voc.errors import ModelUnavailable
from voc.nlp.promises.cues import FEATURES, Cues

MODEL_PATH = Path(__file__).resolve().parents[3] / "models" / "promises" / "detector.npz"
#: cues of the neighbouring sentences that count as context
CONTEXT = ("negation", "fail", "contrast", "quantity", "not_done", "time_passed", "commit_future", "promise_word",
           "supposed")


PAIRS = ("commit_x_undone", "commit_x_late", "commit_x_contrast")


def rule_features(cues: Sequence[Cues]) -> np.ndarray:
    """One row per sentence: its own cues, then the max of the context cues of its neighbours."""
    own = np.array([c.vector() for c in cues], dtype=np.float32).reshape(len(cues), len(FEATURES))
    ctx = np.zeros((len(cues), len(CONTEXT)), dtype=np.float32)
    for i in range(len(cues)):
        for j in (i - 1, i + 1, i + 2):
            if 0 <= j < len(cues):
                ctx[i] = np.maximum(ctx[i], [cues[j].flags.get(k, 0.0) for k in CONTEXT])
    flag = {name: k for k, name in enumerate(FEATURES)}
    commit = own[:, [flag[k] for k in ("promise_word", "commit_future", "supposed", "advertised", "confirmed",
                                         "commit_could")]].max(axis=1, initial=0.0)
    undone = np.maximum(own[:, flag["not_done"]], ctx[:, CONTEXT.index("not_done")])
    late = np.maximum(own[:, flag["time_passed"]], ctx[:, CONTEXT.index("time_passed")])
    pairs = np.stack([commit * undone, commit * late, commit * own[:, flag["contrast"]]], axis=1)
    return np.hstack([own, ctx, pairs])


def design(vectors: np.ndarray, cues: Sequence[Cues]) -> np.ndarray:
    """The detector's input: sentence vectors next to their rule features."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(cues), -1)
    return np.hstack([vectors, rule_features(cues)])


def document_row(x: np.ndarray, cues: Sequence[Cues]) -> np.ndarray:
    """The document head's input from the sentence rows of :func:`design`: the mean sentence vector, the max and
    the mean of each rule column over the document, log(1 + sentences) and whether any commitment cue fired."""
    dim = x.shape[1] - len(FEATURES) - len(CONTEXT) - len(PAIRS)
    rules = x[:, dim:]
    return np.hstack([x[:, :dim].mean(0), rules.max(0), rules.mean(0),
                      [np.log1p(len(cues)), float(any(c.commitment for c in cues))]]).astype(np.float32)


@dataclass
class PromiseDetector:
    """Logistic regression over :func:`design`; ``version`` names the trained weights."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    threshold_uncued: float
    version: str
    #: the document head (logistic regression over :func:`document_row`); without it sentences decide alone
    doc_weights: np.ndarray | None = None
    doc_bias: float = 0.0
    doc_mean: np.ndarray | None = None
    doc_scale: np.ndarray | None = None
    #: the document score is ``doc_mix`` x document probability + (1 - ``doc_mix``) x max cued sentence probability
    doc_mix: float = 0.7

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> "PromiseDetector":
        path = Path(path)
        if not path.exists():
            raise ModelUnavailable(f"broken-promise detector weights not found at {path}. "
                                   "Fix: retrain them with `python -m voc.nlp.promises.train` (see "
                                   "models/promises/MODEL_CARD.md)")
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            doc = {}
            if "doc_weights" in data.files:
                doc = {"doc_weights": data["doc_weights"].astype(np.float32), "doc_bias": float(data["doc_bias"]),
                       "doc_mean": data["doc_mean"].astype(np.float32),
                       "doc_scale": data["doc_scale"].astype(np.float32), "doc_mix": float(meta["doc_mix"])}
            return cls(weights=data["weights"].astype(np.float32), bias=float(data["bias"]),
                       mean=data["mean"].astype(np.float32), scale=data["scale"].astype(np.float32),
                       threshold=float(meta["threshold"]), threshold_uncued=float(meta["threshold_uncued"]),
                       version=str(meta["version"]), **doc)

    def save(self, path: str | Path = MODEL_PATH, **extra: object) -> None:
        meta = {"threshold": self.threshold, "threshold_uncued": self.threshold_uncued, "version": self.version,
                "features": ["minilm"] * (len(self.weights) - len(FEATURES) - len(CONTEXT) - len(PAIRS))
                + list(FEATURES)
                + [f"context_{k}" for k in CONTEXT] + list(PAIRS), **extra}
        arrays = {}
        if self.doc_weights is not None:
            meta["doc_mix"] = self.doc_mix
            arrays = {"doc_weights": self.doc_weights, "doc_bias": np.float32(self.doc_bias),
                      "doc_mean": self.doc_mean, "doc_scale": self.doc_scale}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, weights=self.weights, bias=np.float32(self.bias), mean=self.mean, scale=self.scale,
                 meta=np.array(json.dumps(meta)), **arrays)

    def probabilities(self, vectors: np.ndarray, cues: Sequence[Cues]) -> np.ndarray:
        if not len(cues):
            return np.zeros(0, dtype=np.float32)
        x = (design(vectors, cues) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias)))

    def document_score(self, vectors: np.ndarray, cues: Sequence[Cues], probs: np.ndarray) -> float:
        """``doc_mix`` x the document head's probability + the rest x the best cued sentence probability."""
        x = design(vectors, cues)
        z = (document_row(x, cues) - self.doc_mean) / self.doc_scale
        p_doc = 1.0 / (1.0 + np.exp(-(float(z @ self.doc_weights) + self.doc_bias)))
        best = max((float(p) for p, c in zip(probs, cues) if c.commitment), default=0.0)
        return self.doc_mix * p_doc + (1.0 - self.doc_mix) * best

    def decide(self, probs: np.ndarray, cues: Sequence[Cues], vectors: np.ndarray | None = None) -> list[bool]:
        """The rule gate and the learned scores together.

        With a document head and the sentences' ``vectors`` the document decides: when its score clears
        ``threshold`` (``threshold_uncued`` if no cue fired anywhere) the cued sentence with the highest probability
        is marked, together with every other sentence that clears the sentence-level gate. Without them each
        sentence is judged alone against the two thresholds.
        """
        if self.doc_weights is None or vectors is None or not len(cues):
            return [bool(p >= (self.threshold if c.commitment else self.threshold_uncued))
                    for p, c in zip(probs, cues)]
        cued = [i for i, c in enumerate(cues) if c.commitment]
        score = self.document_score(vectors, cues, probs)
        if score < (self.threshold if cued else self.threshold_uncued):
            return [False] * len(cues)
        pool = cued or list(range(len(cues)))
        top = max(pool, key=lambda i: float(probs[i]))
        return [i == top or (i in pool and bool(probs[i] >= self.threshold)) for i in range(len(cues))]
