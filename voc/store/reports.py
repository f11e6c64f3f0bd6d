"""Read queries behind the dashboard's charts: weekly volume and sentiment, themes on the move.

Only SQLite here (nothing imports a model); every figure is computed from stored analysis results.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from voc.store.browse import VOICE, Filters, _mix, _monday

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
        share of negative documents; the last ``weeks`` weeks that have data, gaps filled with zeros.
        Only documents that carry the date they were received count (see :meth:`undated_documents`):
        the day a file was loaded says nothing about when customers said it."""
        where, params = (filters or Filters()).documents_sql()
        rows = self.conn.execute(
            "select substr(d.received_at, 1, 10) as day, count(*), count(d.sentiment_score), sum(d.sentiment_score), "
            f"sum(d.sentiment_label = 'negative') from documents d where d.received_at is not null and {where} "
            "group by day", params).fetchall()
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

    def distinct_theme_documents(self: "VocStore", theme_ids: list[str], filters: Filters | None = None) -> int:
        """Documents with a customer sentence in any of ``theme_ids`` (each counted once)."""
        if not theme_ids:
            return 0
        where, params = (filters or Filters()).sentences_sql(theme=False)
        return self.conn.execute(
            "select count(distinct s.document_id) from sentences s join documents d on d.id = s.document_id "
            f"where s.theme_id in ({','.join('?' * len(theme_ids))}) and s.role in ({VOICE}) and {where}",
            [*theme_ids, *params]).fetchone()[0]

    def undated_documents(self: "VocStore") -> int:
        return self.conn.execute("select count(*) from documents where received_at is null").fetchone()[0]

    def theme_movers(self: "VocStore", *, window: int = 4, limit: int = 5) -> dict[str, list[dict]]:
        """Themes whose customer-sentence volume rose or fell most: the last ``window`` weeks with data
        against the ``window`` weeks before them (the last week being the latest with dated
        documents). Each: id, label, recent, before, change (a share; None for a new theme), trend."""
        summary = self.theme_summary(Filters())
        weekly = self.weekly_volume(weeks=1)
        if not summary or not weekly:
            return {"up": [], "down": []}
        last = weekly[-1]["week"]
        weeks = week_range((dt.date.fromisoformat(last) - dt.timedelta(weeks=2 * window - 1)).isoformat(), last)
        recent_weeks, before_weeks = set(weeks[-window:]), set(weeks[:-window])
        labels = {t["id"]: t["label"] for t in self.themes()}
        moves = []
        for theme_id, s in summary.items():
            if theme_id not in labels:
                continue
            by_week = {t["week"]: t["volume"] for t in s["trend"]}
            recent = sum(by_week.get(w, 0) for w in recent_weeks)
            before = sum(by_week.get(w, 0) for w in before_weeks)
            if recent == before:
                continue
            change = (recent - before) / before if before else None
            moves.append({"id": theme_id, "label": labels[theme_id], "recent": recent, "before": before,
                          "change": round(change, 4) if change is not None else None,
                          "trend": [by_week.get(w, 0) for w in weeks]})
        up = sorted((m for m in moves if m["recent"] > m["before"]), key=lambda m: (m["before"] - m["recent"], m["id"]))
        down = sorted((m for m in moves if m["recent"] < m["before"]), key=lambda m: (m["recent"] - m["before"], m["id"]))
        return {"up": up[:limit], "down": down[:limit]}

    # -- department inboxes ------------------------------------------------------------------------
    def inbox_facets(self: "VocStore", department: str) -> dict:
        """What a department's inbox can be filtered by: its insights' severities and kinds (most
        severe first, then by name), and how many insights it holds in each status."""
        from voc.store.insights import SEVERITY_ORDER
        severities = [r[0] for r in self.conn.execute(
            f"select distinct i.severity from insights i where i.department = ? and i.severity is not null "
            f"order by {SEVERITY_ORDER}, i.severity", [department])]
        kinds = [r[0] for r in self.conn.execute(
            "select distinct kind from insights where department = ? order by kind", [department])]
        counts = {s: 0 for s in ("new", "acknowledged", "resolved")}
        for status, n in self.conn.execute("select status, count(*) from insights where department = ? "
                                           "group by status", [department]):
            key = "new" if status == "open" else status
            counts[key] = counts.get(key, 0) + n
        return {"severities": severities, "kinds": kinds, "counts": counts}

    def insight_evidence(self: "VocStore", insight_id: int, *, limit: int = 50) -> list[dict]:
        """The findings behind an insight with their documents' kind and date, newest first."""
        return list(self.db.query(
            "select f.id as finding_id, f.kind, f.document_id, f.evidence, f.promise_id, f.promised_value, "
            "f.reported_value, f.confidence, d.kind as document_kind, d.source, "
            "coalesce(d.received_at, d.created_at) as received_at "
            "from insight_findings x join findings f on f.id = x.finding_id "
            "left join documents d on d.id = f.document_id where x.insight_id = ? "
            "order by received_at desc, f.id desc limit ?", [insight_id, limit]))


def combine_summaries(parts: list[dict]) -> dict:
    """One theme_summary entry from several (a group from its member themes): volumes and
    sentiment counts add up, trends add week by week; ``documents`` is the sum, which counts a
    document once per member theme (use :meth:`ReportsMixin.distinct_theme_documents` for the
    distinct count)."""
    out = {"volume": 0, "documents": 0, "neg": 0, "neu": 0, "pos": 0}
    weeks: dict[str, list[int]] = {}
    for p in parts:
        out["volume"] += p.get("volume", 0)
        out["documents"] += p.get("documents", 0)
        mix = p.get("sentiment") or {}
        out["neg"] += mix.get("negative", 0)
        out["neu"] += mix.get("neutral", 0)
        out["pos"] += mix.get("positive", 0)
        for t in p.get("trend", []):
            slot = weeks.setdefault(t["week"], [0, 0])
            slot[0] += t["volume"]
            slot[1] += t["negative"]
    if not out["volume"]:
        return {}
    return {"volume": out["volume"], "documents": out["documents"], "sentiment": _mix(out),
            "trend": [{"week": w, "volume": c[0], "negative": c[1]} for w, c in sorted(weeks.items())]}
