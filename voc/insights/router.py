"""Semantic routing of findings to departments, zero-shot from the department profiles.

A department is known by what an operator wrote in voc.toml: a one-sentence description, a few
keywords, maybe examples. The router scores a text against each profile with three signals and
answers a department with a confidence, or ``None`` (the ``unrouted`` triage queue) when no
department is clearly meant:

1. **semantic**: MiniLM cosine between the text and the profile (description + keywords), and
   the best-matching example when there are examples;
2. **lexical**: profile terms found in the text, after light stemming. Terms are the keywords
   (weight 1) and the description's content words (weight 1/2), widened to the corpus's own words
   whose embedding lies next to a term (``delay`` -> ``delays``, ``luggage`` -> ``baggage``); a term
   shared by several departments counts for each in proportion;
3. **corpus adaptation** (``fit``, self-training): the texts each department wins most clearly
   become its pseudo-examples for a logistic regression over embeddings, whose log-probabilities
   are blended in, so the profile learns the corpus's vocabulary and style without any label.

Corrections (a person re-routing an insight) are labelled examples: a k-nearest-neighbour vote over
them is blended in with a weight that grows with their number, and they join the self-training set
with a higher weight than the pseudo-labels.
"""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from voc.insights.rules import stem, stems

Encoder = Callable[[list[str]], np.ndarray]
STAGE = "voc.route.semantic.v1"

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[a-z]+")


def clean_text(text: str) -> str:
    """The words a person wrote: HTML entities decoded, URLs and @handles dropped, #HashTags split."""
    original = text or ""
    text = html.unescape(original)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _HASHTAG.sub(lambda m: _CAMEL.sub(" ", m.group(1)), text)
    cleaned = " ".join(text.split()).strip(" ,.:;-")
    return cleaned or " ".join(original.split())


@functools.lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # a word list; no model is loaded
    return frozenset(STOP_WORDS)


def content_words(text: str) -> list[str]:
    stop = _stop_words()
    return [w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in stop]


@dataclass(frozen=True)
class Route:
    """Where a finding goes and why. ``department`` None means the unrouted triage queue."""

    department: str | None
    confidence: float
    routed_by: str  # rule | promise_owner | semantic | correction | unrouted
    scores: dict[str, float] = field(default_factory=dict)
    rule: str | None = None


@dataclass
class RouterSettings:
    """Weights of the signals; tuned on the airline dev split (bench/eval_routing.py)."""

    lexical_weight: float = 0.7
    description_term_weight: float = 0.5
    expansion_similarity: float = 0.8
    adapt_weight: float = 0.4
    adapt_fraction: float = 0.6
    adapt_rounds: int = 2
    adapt_c: float = 0.3
    correction_sample_weight: float = 3.0
    example_weight: float = 0.5
    correction_weight: float = 0.6
    correction_half: int = 25  # corrections at which their vote has half its weight
    neighbours: int = 7
    duplicate_similarity: float = 0.9  # this close to a corrected text: follow the correction
    temperature: float = 0.05
    threshold: float = 0.25  # below this confidence: unrouted
    min_similarity: float = 0.1  # no profile term and no profile this close: unrouted (about nothing we know)
    max_vocabulary: int = 20000


class SemanticRouter:
    """Routes texts to departments; ``fit`` adapts to a corpus, ``add_corrections`` learns from people."""

    def __init__(self, departments: Sequence, encode: Encoder, settings: RouterSettings | None = None):
        if not departments:
            raise ValueError("no departments to route to: add [[departments]] to voc.toml")
        self.departments = list(departments)
        self.names = [d.name for d in self.departments]
        self.encode = encode
        self.settings = settings or RouterSettings()
        profiles = [f"{d.description} {', '.join(d.keywords)}".strip() for d in self.departments]
        self._profile = self._unit(encode(profiles))
        self._examples: list[np.ndarray] = []
        for d in self.departments:
            self._examples.append(self._unit(encode(list(d.examples))) if d.examples else np.zeros((0, 0)))
        self._base_terms = [self._own_terms(d) for d in self.departments]
        self._terms = self._share(self._base_terms)
        self._fit_vectors: np.ndarray | None = None
        self._fit_base: np.ndarray | None = None
        self._classifier = None
        self._corr_vectors = np.zeros((0, self._profile.shape[1]), dtype=np.float32)
        self._corr_labels = np.zeros(0, dtype=int)

    # -- building the profile --------------------------------------------------------------------
    @staticmethod
    def _unit(vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.size == 0:
            return vectors
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def _own_terms(self, department) -> dict[tuple[str, ...], float]:
        terms: dict[tuple[str, ...], float] = {}
        for keyword in department.keywords:
            key = tuple(stems(keyword))
            if key:
                terms[key] = 1.0
        for word in content_words(department.description) + content_words(department.name.replace("-", " ")):
            key = (stem(word),)
            terms[key] = max(terms.get(key, 0.0), self.settings.description_term_weight)
        return terms

    @staticmethod
    def _share(per_department: list[dict]) -> list[dict]:
        counts = Counter(t for terms in per_department for t in terms)
        return [{t: w / counts[t] for t, w in terms.items()} for terms in per_department]

    def fit(self, texts: Sequence[str], vectors: np.ndarray | None = None, *,
            word_vectors: Callable[[list[str]], np.ndarray] | None = None) -> "SemanticRouter":
        """Adapt to a corpus: widen the terms with its vocabulary, then learn from pseudo-labels.

        ``vectors`` are the texts' embeddings when already known (else they are encoded);
        ``word_vectors`` encodes single words (defaults to ``encode``; pass a cached one).
        """
        s = self.settings
        texts = [clean_text(t) for t in texts]
        if not texts:
            return self
        counts = Counter(w for t in texts for w in set(content_words(t)))
        vocab = [w for w, n in counts.most_common(s.max_vocabulary) if n >= 2 or len(counts) < 200]
        if vocab:
            encode_words = word_vectors or self.encode
            vocab_vecs = self._unit(encode_words(vocab))
            self._terms = self._share([self._widen(terms, vocab, vocab_vecs) for terms in self._base_terms])
        self._fit_vectors = self._unit(self.encode(texts) if vectors is None else vectors)
        self._fit_base = self._base_scores(texts, self._fit_vectors)
        self._train()
        return self

    def _widen(self, terms: dict, vocab: list[str], vocab_vecs: np.ndarray) -> dict:
        single = [t for t in terms if len(t) == 1]
        if not single:
            return dict(terms)
        by_stem: dict[str, str] = {}
        for word in vocab:
            by_stem.setdefault(stem(word), word)
        words = [by_stem.get(t[0], t[0]) for t in single]
        sims = self._unit(self.encode(words)) @ vocab_vecs.T
        out = dict(terms)
        for term, row in zip(single, sims):
            for j in np.flatnonzero(row >= self.settings.expansion_similarity):
                key = (stem(vocab[j]),)
                out[key] = max(out.get(key, 0.0), terms[term] * float(row[j]))
        return out

    def _train(self) -> None:
        """Self-training: the texts each department wins most clearly (and every correction) teach
        a logistic regression over embeddings; its log-probabilities are blended into the score."""
        from sklearn.linear_model import LogisticRegression
        s = self.settings
        self._classifier = None
        if self._fit_vectors is None:  # corrections alone act through the neighbour vote
            return
        features, base = self._fit_vectors, self._fit_base
        for _ in range(s.adapt_rounds):
            scores = base if self._classifier is None else self._blend(base, features)
            rows, labels, weights = [], [], []
            if len(features):
                winners = scores.argmax(1)
                ordered = np.sort(scores, axis=1)
                margin = ordered[:, -1] - (ordered[:, -2] if scores.shape[1] > 1 else 0)
                for d in range(len(self.names)):
                    idx = np.flatnonzero(winners == d)
                    top = idx[np.argsort(-margin[idx])[:max(3, int(s.adapt_fraction * len(idx)))]]
                    rows.append(features[top])
                    labels += [d] * len(top)
                    weights += [1.0] * len(top)
            if self.corrections:
                rows.append(self._corr_vectors)
                labels += list(self._corr_labels)
                weights += [s.correction_sample_weight] * self.corrections
            labels_arr = np.asarray(labels)
            if len(set(labels_arr.tolist())) < 2:
                return
            model = LogisticRegression(C=s.adapt_c, max_iter=500)
            model.fit(np.vstack(rows), labels_arr, sample_weight=np.asarray(weights))
            self._classifier = model

    def _blend(self, base: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        model = self._classifier
        if model is None:
            return base
        logp = np.full(base.shape, -20.0, dtype=np.float64)
        logp[:, model.classes_] = np.maximum(model.predict_log_proba(vectors), -20.0)
        return base + self.settings.adapt_weight * logp

    # -- learning from corrections -------------------------------------------------------------
    def add_corrections(self, texts: Sequence[str], departments: Sequence[str],
                        vectors: np.ndarray | None = None) -> int:
        """Labelled examples from people; returns how many were kept (unknown departments are skipped)."""
        keep = [i for i, d in enumerate(departments) if d in self.names]
        if not keep:
            return 0
        if vectors is None:
            vectors = self.encode([clean_text(texts[i]) for i in keep])
        else:
            vectors = np.asarray(vectors)[keep]
        self._corr_vectors = np.vstack([self._corr_vectors, self._unit(vectors)])
        self._corr_labels = np.concatenate([self._corr_labels,
                                            [self.names.index(departments[i]) for i in keep]]).astype(int)
        self._train()
        return len(keep)

    def clear_corrections(self) -> None:
        self._corr_vectors = np.zeros((0, self._profile.shape[1]), dtype=np.float32)
        self._corr_labels = np.zeros(0, dtype=int)
        self._train()

    @property
    def corrections(self) -> int:
        return len(self._corr_labels)

    # -- scoring -----------------------------------------------------------------------------
    def _lexical(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.names)), dtype=np.float32)
        for i, text in enumerate(texts):
            words = stems(text)
            present = set(words)
            for d, terms in enumerate(self._terms):
                out[i, d] = sum(w for t, w in terms.items()
                                if (t[0] in present if len(t) == 1 else _phrase(t, words)))
        return out

    def _base_scores(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        s = self.settings
        scores = vectors @ self._profile.T
        for d, examples in enumerate(self._examples):
            if examples.size:
                scores[:, d] = (1 - s.example_weight) * scores[:, d] + s.example_weight * (vectors @ examples.T).max(1)
        return scores + s.lexical_weight * self._lexical(texts)

    def scores(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """Score matrix (texts x departments) with every signal blended in."""
        return self._scores(texts, vectors)[0]

    def _scores(self, texts: Sequence[str], vectors: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        s = self.settings
        texts = [clean_text(t) for t in texts]
        if not texts:
            empty = np.zeros((0, len(self.names)), dtype=np.float32)
            return empty, empty
        vectors = self._unit(self.encode(texts) if vectors is None else vectors)
        scores = self._blend(self._base_scores(texts, vectors), vectors)
        votes = np.zeros_like(scores)
        if self.corrections:
            n = self.corrections
            votes = s.correction_weight * n / (n + s.correction_half) * self._knn(vectors)
        self._last_evidence = self._evidence(texts, vectors)
        return scores + votes, votes

    def _evidence(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Whether each text is about anything a department knows: a profile term, or a profile,
        an example or a correction at least ``min_similarity`` away."""
        sims = vectors @ self._profile.T
        best = sims.max(1)
        for examples in self._examples:
            if examples.size:
                best = np.maximum(best, (vectors @ examples.T).max(1))
        if self.corrections:
            best = np.maximum(best, (vectors @ self._corr_vectors.T).max(1))
        return (best >= self.settings.min_similarity) | (self._lexical(texts).sum(1) > 0)

    def _nearest_correction(self, texts: Sequence[str], vectors: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if not self.corrections or not len(texts):
            return np.zeros(len(texts), dtype=int), np.zeros(len(texts))
        if vectors is None:
            vectors = self.encode([clean_text(t) for t in texts])
        sims = self._unit(vectors) @ self._corr_vectors.T
        nearest = sims.argmax(1)
        return self._corr_labels[nearest], sims[np.arange(len(texts)), nearest]

    def _knn(self, vectors: np.ndarray) -> np.ndarray:
        k = min(self.settings.neighbours, self.corrections)
        sims = vectors @ self._corr_vectors.T
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        votes = np.zeros((len(vectors), len(self.names)), dtype=np.float32)
        for i, row in enumerate(nearest):
            for j in row:
                votes[i, self._corr_labels[j]] += max(float(sims[i, j]), 0.0) / k
        return votes

    def confidences(self, scores: np.ndarray) -> np.ndarray:
        """Softmax of the scores at the calibrated temperature: a probability per department."""
        z = scores / self.settings.temperature
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def route(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> list[Route]:
        """One :class:`Route` per text: the best department, or unrouted below the threshold.

        ``routed_by`` is ``correction`` when the vote of past corrections changed the decision.
        """
        scores, votes = self._scores(texts, vectors)
        probs = self.confidences(scores)
        twin_label, twin_sim = self._nearest_correction(texts, vectors)
        out = []
        for i, (row, vote, p, known) in enumerate(zip(scores, votes, probs, self._last_evidence)):
            best = int(p.argmax())
            conf = float(p[best]) if known else 0.0
            detail = {name: round(float(v), 4) for name, v in zip(self.names, row)}
            if twin_sim[i] >= self.settings.duplicate_similarity:
                out.append(Route(self.names[twin_label[i]], float(twin_sim[i]), "correction", detail))
                continue
            if conf < self.settings.threshold:
                out.append(Route(None, conf, "unrouted", detail))
                continue
            by = "correction" if int((row - vote).argmax()) != best else "semantic"
            out.append(Route(self.names[best], conf, by, detail))
        return out


def _phrase(term: tuple[str, ...], words: list[str]) -> bool:
    n = len(term)
    return any(tuple(words[i:i + n]) == term for i in range(len(words) - n + 1))
