"""Theme discovery: BERTopic over the customer sentences, tuned for feedback.

The steps, each deterministic for a fixed ``seed``:

1. *Cluster* (:func:`features`, :func:`cluster`): k-means with a chosen number of themes over each
   unit's MiniLM embedding of its *cleaned* text (see :mod:`.clean`) joined with an LSA sketch of its
   words. A unit is a sentence, or a whole short document (a tweet, a survey answer), whose
   sentences only make sense together. Seed themes guide it: each seed's features (of its label
   and description) start one k-means centre, so the seeded themes are looked for alongside what
   the data holds. k-means leaves no outliers. (UMAP + HDBSCAN, BERTopic's default, left 35% of
   airline tweets as outliers and scored lower on every measure we took; see bench/eval_themes.py.)
2. *Merge* topics smaller than ``min_topic_size`` into their nearest neighbour.
3. *Describe* (:func:`describe`): BERTopic in its manual mode (the clusters are given, BERTopic
   computes class-based TF-IDF over one- and two-word terms with stop words removed and frequent
   words damped) gives each theme its keywords; the label is its best two key phrases free of
   filler, handles, URLs, placeholders and company names; representative verbatims are the
   sentences closest to the centroid. Zero-shot naming: a theme whose centroid lies within
   ``seed_similarity`` of a seed's embedding takes the seed's label.
4. *Group* (:func:`group`): Ward clustering of the theme centroids gives a few groups above them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from voc.nlp.themes.clean import FILLER, is_label_term
from voc.nlp.themes.settings import ThemeSettings

log = logging.getLogger(__name__)


@dataclass
class Topic:
    index: int
    members: np.ndarray  # row indices
    centroid: np.ndarray
    keywords: tuple[str, ...] = ()
    label: str = ""
    representatives: tuple[int, ...] = ()
    seed: str | None = None  # the seed label it answers to, if any


@dataclass
class Group:
    label: str
    keywords: tuple[str, ...]
    members: tuple[int, ...]  # topic indices
    centroid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


def unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.where(norms == 0, 1, norms)


def features(texts: Sequence[str], vectors: np.ndarray, settings: ThemeSettings, *,
             extra: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """What k-means clusters: each unit's unit-length embedding beside a unit-length LSA sketch of its
    words (TF-IDF over one- and two-word terms without filler, ``lsa_dims`` dimensions), the latter
    weighted by ``word_weight``. Embeddings alone group feedback by tone; the words pull it back to
    what it is about. Returns the features of ``texts`` and of ``extra`` (e.g. seed descriptions,
    whose embeddings are the last ``len(extra)`` rows of ``vectors``)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    n = len(texts)
    x = unit(vectors)
    if settings.word_weight <= 0 or n < 20:
        return x[:n], x[n:]
    tfidf = TfidfVectorizer(stop_words=sorted(FILLER), min_df=min(3, n), sublinear_tf=True, ngram_range=(1, 2),
                            token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z']+\b")
    try:
        words = tfidf.fit_transform(texts)
    except ValueError:  # no usable words at all
        return x[:n], x[n:]
    dims = max(1, min(settings.lsa_dims, words.shape[1] - 1, n - 1))
    svd = TruncatedSVD(dims, random_state=settings.seed).fit(words)
    sketch = unit(svd.transform(words)) * settings.word_weight
    sketch_extra = unit(svd.transform(tfidf.transform(list(extra)))) * settings.word_weight if extra else \
        np.zeros((0, dims), dtype=np.float32)
    return np.hstack([x[:n], sketch]).astype(np.float32), np.hstack([x[n:], sketch_extra]).astype(np.float32)


def cluster(feats: np.ndarray, k: int, settings: ThemeSettings, seed_feats: np.ndarray | None = None) -> np.ndarray:
    """Labels 0..k-1 for each row of ``feats`` by k-means; seeds' features start the first centres."""
    from sklearn.cluster import KMeans
    n = len(feats)
    k = max(1, min(k, n))
    if k == 1:
        return np.zeros(n, dtype=int)
    if seed_feats is not None and len(seed_feats):
        seeds = np.asarray(seed_feats, dtype=np.float32)[:k]
        best = None
        for attempt in range(settings.kmeans_init if len(seeds) < k else 1):
            rest = _plus_plus(feats, k - len(seeds), seeds, settings.seed + attempt)
            init = np.vstack([seeds, rest]) if len(rest) else seeds
            model = KMeans(k, init=init, n_init=1, random_state=settings.seed).fit(feats)
            if best is None or model.inertia_ < best.inertia_:
                best = model
        return best.labels_
    return KMeans(k, random_state=settings.seed, n_init=settings.kmeans_init).fit_predict(feats)


def _plus_plus(x: np.ndarray, k: int, chosen: np.ndarray, seed: int) -> np.ndarray:
    """k-means++ centres for ``x`` given centres already ``chosen`` (deterministic for ``seed``)."""
    rng = np.random.default_rng(seed)
    nearest = np.full(len(x), np.inf)
    for centre in chosen:
        nearest = np.minimum(nearest, ((x - centre) ** 2).sum(axis=1))
    out = []
    for _ in range(k):
        total = nearest.sum() if np.isfinite(nearest).all() else 0.0
        pick = x[rng.choice(len(x), p=nearest / total) if total > 0 else rng.integers(len(x))]
        nearest = np.minimum(nearest, ((x - pick) ** 2).sum(axis=1))
        out.append(pick)
    return np.asarray(out, dtype=np.float32).reshape(-1, x.shape[1])


def merge_small(labels: np.ndarray, vectors: np.ndarray, min_size: int) -> np.ndarray:
    """Fold topics under ``min_size`` members into the topic with the nearest centroid; renumber 0..n-1."""
    labels = labels.copy()
    while True:
        ids, counts = np.unique(labels[labels >= 0], return_counts=True)
        if len(ids) <= 1 or counts.min() >= min_size:
            break
        small = ids[np.argmin(counts)]
        cents = {t: unit(vectors[labels == t].mean(axis=0)) for t in ids}
        others = [t for t in ids if t != small]
        target = max(others, key=lambda t: float(cents[t] @ cents[small]))
        labels[labels == small] = target
    remap = {t: i for i, t in enumerate(sorted(set(labels[labels >= 0]), key=lambda t: -np.sum(labels == t)))}
    return np.array([remap.get(t, -1) for t in labels], dtype=int)


def describe(texts: Sequence[str], labels: np.ndarray, vectors: np.ndarray, settings: ThemeSettings, *,
             company: frozenset[str] = frozenset(), seeds: Sequence[str] = (),
             seed_vectors: np.ndarray | None = None) -> list[Topic]:
    """Keywords, label, centroid and representatives of each topic in ``labels`` (BERTopic c-TF-IDF)."""
    topic_ids = sorted(set(int(t) for t in labels if t >= 0))
    keywords = _ctfidf_keywords(texts, labels, settings, company)
    x = unit(vectors)
    topics = []
    for t in topic_ids:
        members = np.flatnonzero(labels == t)
        centroid = unit(x[members].mean(axis=0))
        order = members[np.argsort(-(x[members] @ centroid), kind="stable")]
        reps, seen = [], set()
        for i in order:
            key = texts[i].lower()
            if key in seen or len(texts[i].split()) < 3:
                continue
            seen.add(key)
            reps.append(int(i))
            if len(reps) == settings.representatives:
                break
        kws = keywords.get(t, ())
        topics.append(Topic(t, members, centroid, kws, make_label(kws), tuple(reps or order[:1].tolist())))
    if seeds and seed_vectors is not None and topics:
        sims = unit(np.vstack([tp.centroid for tp in topics])) @ unit(seed_vectors).T
        for j, seed in enumerate(seeds):  # each seed names the one topic closest to it
            i = int(np.argmax(sims[:, j]))
            if sims[i, j] >= settings.seed_similarity and topics[i].seed is None:
                topics[i].seed = seed
                topics[i].label = seed
    return topics


def _ctfidf_keywords(texts: Sequence[str], labels: np.ndarray, settings: ThemeSettings,
                     company: frozenset[str]) -> dict[int, tuple[str, ...]]:
    """Top terms per topic from BERTopic's class-based TF-IDF, in its manual mode."""
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    keep = np.flatnonzero(labels >= 0)
    docs = [texts[i] for i in keep]
    y = labels[keep]
    n_topics = len(set(y.tolist()))
    vectorizer = CountVectorizer(stop_words=sorted(FILLER), ngram_range=(1, 2), min_df=1,
                                 token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z']+\b", lowercase=True)
    model = BERTopic(umap_model=BaseDimensionalityReduction(), hdbscan_model=BaseCluster(),
                     vectorizer_model=vectorizer, ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
                     top_n_words=40, calculate_probabilities=False, verbose=False)
    try:
        if n_topics < 2:
            raise ValueError("one topic only")
        model.fit(docs, embeddings=np.zeros((len(docs), 1), dtype=np.float32), y=y)
    except (ValueError, TypeError) as exc:  # one topic, or too few distinct words (tiny corpora)
        log.info("c-TF-IDF not possible (%s); keywords by frequency", exc)
        return _frequent_keywords(docs, y, settings, company)
    # BERTopic renumbers the given classes by size: map ours to its own through each document
    theirs = {int(mine): int(their) for mine, their in zip(y, model.topics_)}
    out: dict[int, tuple[str, ...]] = {}
    for t in sorted(theirs):
        words = model.get_topic(theirs[t]) or []
        terms = [w for w, score in words if score > 0 and is_label_term(w, company)]
        out[t] = _dedupe_terms(terms)[:settings.top_keywords]
    return out


def _frequent_keywords(docs: Sequence[str], y: np.ndarray, settings: ThemeSettings,
                       company: frozenset[str]) -> dict[int, tuple[str, ...]]:
    from collections import Counter

    from voc.nlp.themes.clean import content_words
    out = {}
    for t in sorted(set(y.tolist())):
        counts = Counter(w for d, label in zip(docs, y) if label == t for w in set(content_words(d)))
        terms = [w for w, _ in counts.most_common(40) if is_label_term(w, company)]
        out[t] = _dedupe_terms(terms)[:settings.top_keywords]
    return out


def _dedupe_terms(terms: list[str]) -> tuple[str, ...]:
    """Drop a word already covered by a kept phrase, and a phrase made only of kept words."""
    kept: list[str] = []
    for term in terms:
        words = term.split()
        if any(term == k or (len(words) == 1 and term in k.split()) for k in kept):
            continue
        if len(words) > 1 and all(w in {x for k in kept for x in k.split()} for w in words) \
                and len(kept) >= 2:
            continue
        kept.append(term)
    return tuple(kept)


def make_label(keywords: Sequence[str]) -> str:
    """A short readable label: the best key phrase (a two-word phrase among the top three preferred)
    and the next one that repeats none of its words (``bag`` and ``bags`` count as one)."""
    if not keywords:
        return "miscellaneous"
    first = next((k for k in keywords[:3] if " " in k), keywords[0])
    stems = {_stem(w) for w in first.split()}
    rest = [k for k in keywords if k != first and not {_stem(w) for w in k.split()} & stems]
    return first if not rest else f"{first} / {rest[0]}"


def _stem(word: str) -> str:
    """Crude stem, enough to tell that ``bag``/``bags`` or ``delay``/``delayed`` repeat each other."""
    return word.lower().rstrip("s")[:5]


def group(topics: Sequence[Topic], n_groups: int) -> list[Group]:
    """A few groups above the topics: Ward clustering of their centroids (deterministic)."""
    if len(topics) < 4:
        return []
    n_groups = n_groups or max(2, round(len(topics) ** 0.5 / 1.5))
    n_groups = min(n_groups, len(topics) - 1)
    from sklearn.cluster import AgglomerativeClustering
    cents = unit(np.vstack([t.centroid for t in topics]))
    assign = AgglomerativeClustering(n_clusters=n_groups, linkage="ward").fit_predict(cents)
    groups = []
    for g in sorted(set(assign.tolist()), key=lambda g: -sum(len(topics[i].members) for i in np.flatnonzero(assign == g))):
        members = [int(i) for i in np.flatnonzero(assign == g)]
        weights: dict[str, float] = {}
        for i in members:
            for rank, kw in enumerate(topics[i].keywords):
                weights[kw] = weights.get(kw, 0.0) + len(topics[i].members) / (rank + 1)
        kws = tuple(sorted(weights, key=lambda k: (-weights[k], k))[:10])
        sizes = np.array([len(topics[i].members) for i in members], dtype=np.float32)
        centroid = unit((cents[members] * sizes[:, None]).sum(axis=0))
        groups.append(Group(make_label(_dedupe_terms(list(kws))), kws, tuple(topics[i].index for i in members),
                            centroid))
    return groups
