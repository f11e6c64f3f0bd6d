"""Read queries behind the dashboard's charts: weekly volume and sentiment, themes on the move.

Only SQLite here (nothing imports a model); every figure is computed from stored analysis results.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from voc.store.browse import WHEN, Filters, _monday

if TYPE_CHECKING:
    from voc.store.store import VocStore


def week_range(first: str, last: str) -> list[str]:
    """Every Monday from the week of ``first`` to the week of ``last`` (ISO dates), so that charts
    show quiet weeks as zeros rather than skipping them."""
    start, end = dt.date.fromisoformat(_monday(first)), dt.date.fromisoformat(_monday(last))
    weeks, day = [], start
    while day <= end and len(weeks) < 520:
        weeks.append(day.isoformat())
        day += dt.timedelta(days=7)
    return weeks


class ReportsMixin:
    def weekly_volume(self: "VocStore", filters: Filters | None = None, *, weeks: int = 26) -> list[dict]:
        """Per week (Monday): documents received, analysed ones, their mean sentiment score and the
        share of negative documents; the last ``weeks`` weeks that have data, gaps filled with zeros."""
        where, params = (filters or Filters()).documents_sql()
        rows = self.conn.execute(
            f"select substr({WHEN}, 1, 10) as day, count(*), count(d.sentiment_score), sum(d.sentiment_score), "
            f"sum(d.sentiment_label = 'negative') from documents d where {where} group by day", params).fetchall()
        acc: dict[str, list[float]] = {}
        for day, n, scored, total, neg in rows:
            week = _monday(day)
            if week is None:
                continue
            slot = acc.setdefault(week, [0, 0, 0.0, 0])
            slot[0] += n
            slot[1] += scored
            slot[2] += total or 0.0
            slot[3] += neg or 0
        if not acc:
            return []
        out = []
        for week in week_range(min(acc), max(acc))[-weeks:]:
            n, scored, total, neg = acc.get(week, [0, 0, 0.0, 0])
            out.append({"week": week, "documents": n, "analysed": scored,
                        "sentiment": round(total / scored, 4) if scored else None,
                        "negative_share": round(neg / scored, 4) if scored else None})
        return out

    def theme_movers(self: "VocStore", *, window: int = 4, limit: int = 5) -> dict[str, list[dict]]:
        """Themes whose customer-sentence volume rose or fell most: the last ``window`` weeks with data
        against the ``window`` weeks before them. Each: id, label, recent, before, change (share)."""
        summary = self.theme_summary(Filters())
        if not summary:
            return {"up": [], "down": []}
        last = max((t["week"] for s in summary.values() for t in s["trend"]), default=None)
        if last is None:
            return {"up": [], "down": []}
        weeks = week_range((dt.date.fromisoformat(last) - dt.timedelta(weeks=2 * window - 1)).isoformat(), last)
        recent_weeks, before_weeks = set(weeks[-window:]), set(weeks[:-window])
        labels = {t["id"]: t["label"] for t in self.themes()}
        moves = []
        for theme_id, s in summary.items():
            if theme_id not in labels:
                continue
            recent = sum(t["volume"] for t in s["trend"] if t["week"] in recent_weeks)
            before = sum(t["volume"] for t in s["trend"] if t["week"] in before_weeks)
            if recent == before:
                continue
            change = (recent - before) / before if before else None
            moves.append({"id": theme_id, "label": labels[theme_id], "recent": recent, "before": before,
                          "change": round(change, 4) if change is not None else None,
                          "trend": [t["volume"] for t in s["trend"]][-2 * window:]})
        up = sorted((m for m in moves if m["recent"] > m["before"]), key=lambda m: (m["before"] - m["recent"], m["id"]))
        down = sorted((m for m in moves if m["recent"] < m["before"]), key=lambda m: (m["recent"] - m["before"], m["id"]))
        return {"up": up[:limit], "down": down[:limit]}
