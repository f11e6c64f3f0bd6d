"""Stable theme ids across refits: match new topics to existing themes, record what changed.

A refit finds topics afresh; :func:`match_topics` pairs each with the existing theme it continues,
by centroid cosine similarity blended with keyword overlap, so that a theme keeps its id, label and
history. What does not pair one-to-one becomes lineage:

- ``kept``: a new topic continues an existing theme (same id);
- ``split``: a second (third...) new topic that also resembles a theme already continued: it gets a
  new id, recorded as split from the old one;
- ``merge``: an existing theme whose best match was taken by another theme: it is retired, recorded
  as merged into the theme that took it;
- ``retired``: an existing theme nothing resembles any more;
- ``new``: a topic that resembles no existing theme.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class TopicSketch:
    """What matching compares: a unit centroid and the keywords (``key`` is an id or a topic index)."""

    key: str | int
    centroid: np.ndarray
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineageEvent:
    kind: str  # kept | split | merge | retired | new
    theme_id: str | None  # the existing theme (kept/split/merge/retired), None for new
    topic: int | None  # the new topic index (kept/split/merge/new), None for retired
    similarity: float | None = None


@dataclass
class MatchResult:
    """``assigned[topic] = existing theme id`` for kept topics; everything else in ``events``."""

    assigned: dict[int, str] = field(default_factory=dict)
    events: list[LineageEvent] = field(default_factory=list)


def keyword_overlap(a: Sequence[str], b: Sequence[str]) -> float:
    """Jaccard overlap of two keyword lists, on their words (so ``lost bag`` meets ``bag``)."""
    wa = {w for k in a for w in k.lower().split()}
    wb = {w for k in b for w in k.lower().split()}
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def similarity_matrix(new: Sequence[TopicSketch], old: Sequence[TopicSketch], *,
                      keyword_weight: float = 0.3) -> np.ndarray:
    """``S[i, j]``: how much new topic ``i`` resembles old theme ``j`` (in [-1, 1])."""
    if not new or not old:
        return np.zeros((len(new), len(old)), dtype=np.float32)
    a = _unit(np.vstack([t.centroid for t in new]))
    b = _unit(np.vstack([t.centroid for t in old]))
    cos = a @ b.T
    kw = np.array([[keyword_overlap(n.keywords, o.keywords) for o in old] for n in new], dtype=np.float32)
    return (1 - keyword_weight) * cos + keyword_weight * kw


def match_topics(new: Sequence[TopicSketch], old: Sequence[TopicSketch], *, threshold: float = 0.6,
                 keyword_weight: float = 0.3) -> MatchResult:
    """Pair ``new`` topics with ``old`` themes one-to-one (best pairs first) and describe the rest."""
    result = MatchResult()
    sim = similarity_matrix(new, old, keyword_weight=keyword_weight)
    pairs = sorted(((float(sim[i, j]), i, j) for i in range(len(new)) for j in range(len(old))
                    if sim[i, j] >= threshold), key=lambda p: (-p[0], p[1], p[2]))
    taken_new: dict[int, int] = {}
    taken_old: dict[int, int] = {}
    for s, i, j in pairs:
        if i in taken_new or j in taken_old:
            continue
        taken_new[i], taken_old[j] = j, i
        result.assigned[i] = str(old[j].key)
        result.events.append(LineageEvent("kept", str(old[j].key), i, round(s, 4)))
    for i in range(len(new)):
        if i in taken_new:
            continue
        j = int(np.argmax(sim[i])) if len(old) else -1
        if j >= 0 and sim[i, j] >= threshold:
            result.events.append(LineageEvent("split", str(old[j].key), i, round(float(sim[i, j]), 4)))
        else:
            result.events.append(LineageEvent("new", None, i, round(float(sim[i, j]), 4) if j >= 0 else None))
    for j in range(len(old)):
        if j in taken_old:
            continue
        i = int(np.argmax(sim[:, j])) if len(new) else -1
        if i >= 0 and sim[i, j] >= threshold:
            result.events.append(LineageEvent("merge", str(old[j].key), i, round(float(sim[i, j]), 4)))
        else:
            result.events.append(LineageEvent("retired", str(old[j].key), None,
                                              round(float(sim[i, j]), 4) if i >= 0 else None))
    return result


def _unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1, norms)
