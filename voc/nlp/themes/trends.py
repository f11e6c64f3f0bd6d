"""Themes over time: weekly volume and sentiment mix, spikes, emerging themes.

Pure functions over plain rows, so they test without a database: :func:`weekly_series` buckets
sentences by ISO week (Monday start, UTC) of their document's ``received_at``; :func:`find_spikes`
flags a week whose volume or negative share is more than ``z`` standard deviations above the
trailing weeks; :func:`find_emerging` clusters recent unassigned sentences and keeps the clusters
that no existing theme resembles.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

SENTIMENTS = ("negative", "neutral", "positive", "unknown")


@dataclass(frozen=True)
class WeekPoint:
    week: str  # ISO date of the Monday
    volume: int
    negative: int = 0
    neutral: int = 0
    positive: int = 0
    unknown: int = 0

    @property
    def negative_share(self) -> float:
        known = self.negative + self.neutral + self.positive
        return self.negative / known if known else 0.0

    def as_dict(self) -> dict:
        return {"week": self.week, "volume": self.volume, "negative": self.negative, "neutral": self.neutral,
                "positive": self.positive, "unknown": self.unknown, "negative_share": round(self.negative_share, 4)}


@dataclass(frozen=True)
class Spike:
    theme_id: str
    week: str
    measure: str  # volume | negative_share
    value: float
    mean: float
    std: float
    z: float
    history: int  # weeks of history compared against


def week_of(received_at: str | None) -> str | None:
    """Monday (ISO date) of the week ``received_at`` falls in, in UTC; None when unparseable."""
    if not received_at:
        return None
    try:
        when = dt.datetime.fromisoformat(received_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    day = when.date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def weekly_series(rows: Iterable[tuple[str, str | None, str | None]]) -> dict[str, list[WeekPoint]]:
    """``rows`` of ``(theme_id, received_at, sentiment_label)`` -> per theme, every week from its first
    to the overall last week (weeks without a mention count as zero)."""
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    last = None
    for theme_id, received_at, label in rows:
        week = week_of(received_at)
        if week is None:
            continue
        counts[theme_id][week][label if label in SENTIMENTS else "unknown"] += 1
        last = week if last is None or week > last else last
    out: dict[str, list[WeekPoint]] = {}
    for theme_id, weeks in counts.items():
        day = dt.date.fromisoformat(min(weeks))
        end = dt.date.fromisoformat(last)
        series = []
        while day <= end:
            c = weeks.get(day.isoformat(), {})
            series.append(WeekPoint(day.isoformat(), sum(c.values()), c.get("negative", 0), c.get("neutral", 0),
                                    c.get("positive", 0), c.get("unknown", 0)))
            day += dt.timedelta(days=7)
        out[theme_id] = series
    return out


def find_spikes(theme_id: str, series: Sequence[WeekPoint], *, trailing: int = 8, z: float = 2.0,
                min_history: int = 4, min_volume: int = 5) -> list[Spike]:
    """Weeks of ``series`` whose volume or negative share exceed mean + ``z`` * std of the ``trailing``
    weeks before them (at least ``min_history`` of them; weeks with under ``min_volume`` mentions are
    not flagged). The standard deviation is floored (at the square root of the mean for volume, as
    for a Poisson count, and at five points for the negative share), so that a flat or tiny
    history does not turn every wobble into a spike."""
    spikes = []
    for t in range(min_history, len(series)):
        point = series[t]
        if point.volume < min_volume:
            continue
        window = series[max(0, t - trailing):t]
        for measure, floor in (("volume", 1.0), ("negative_share", 0.05)):
            history = np.array([_measure(p, measure) for p in window], dtype=float)
            value = _measure(point, measure)
            mean, std = float(history.mean()), float(history.std())
            # counts vary at least like a Poisson count, shares by at least ``floor``
            std = max(std, mean ** 0.5 if measure == "volume" else 0.0, floor)
            if value > mean + z * std:
                spikes.append(Spike(theme_id, point.week, measure, round(value, 4), round(mean, 4),
                                    round(std, 4), round((value - mean) / std, 2), len(window)))
    return spikes


def _measure(point: WeekPoint, measure: str) -> float:
    return float(point.volume) if measure == "volume" else point.negative_share


@dataclass(frozen=True)
class EmergingCluster:
    members: tuple[int, ...]  # row indices into the vectors given
    centroid: np.ndarray
    cohesion: float  # mean cosine of members to their centroid
    nearest_theme: str | None
    nearest_similarity: float


def find_emerging(vectors: np.ndarray, theme_ids: Sequence[str], centroids: np.ndarray, *,
                  min_size: int = 10, min_cohesion: float = 0.55, max_similarity: float = 0.6,
                  distance: float = 0.45) -> list[EmergingCluster]:
    """Clusters of (recent, unassigned) sentence ``vectors`` unlike every existing theme centroid.

    Average-linkage agglomerative clustering with a cosine ``distance`` cut; a cluster counts when it
    has ``min_size`` members, holds together (``min_cohesion``) and its centroid's cosine to every
    theme centroid stays under ``max_similarity``. Deterministic: no random state is involved.
    """
    n = len(vectors)
    if n < min_size:
        return []
    from sklearn.cluster import AgglomerativeClustering
    x = _unit(vectors)
    labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                     distance_threshold=distance).fit_predict(x)
    found = []
    for label in sorted(set(labels)):
        members = np.flatnonzero(labels == label)
        if len(members) < min_size:
            continue
        centroid = _unit(x[members].mean(axis=0, keepdims=True))[0]
        cohesion = float((x[members] @ centroid).mean())
        if cohesion < min_cohesion:
            continue
        nearest, best = None, -1.0
        if len(theme_ids):
            sims = _unit(centroids) @ centroid
            k = int(np.argmax(sims))
            nearest, best = theme_ids[k], float(sims[k])
        if best < max_similarity:
            found.append(EmergingCluster(tuple(int(m) for m in members), centroid, round(cohesion, 4),
                                         nearest, round(best, 4)))
    return sorted(found, key=lambda c: -len(c.members))


def _unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.where(norms == 0, 1, norms)
