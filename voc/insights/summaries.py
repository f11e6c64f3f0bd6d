"""Titles, summaries and severities a person can act on, computed from an insight's evidence.

Weeks are ISO weeks of when the customer spoke (the document's ``received_at``, else when the
finding was made). The reference week is the current one when it has evidence, else the latest
week that has: "23 reports this week, 3x last week" or "23 reports in 2026-W33, 3x the week before".
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voc.store import VocStore


def _day(at: str | None) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat((at or "").replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _ratio(this: int, last: int) -> str:
    if last == 0:
        return "none the week before" if this else ""
    r = this / last
    return f"{r:.0f}x" if abs(r - round(r)) < 0.05 else f"{r:.1f}x"


def weekly(dates: list[dt.date], now: dt.datetime | None = None) -> tuple[str, int, int, bool]:
    """(reference week, count in it, count the week before, whether it is the current week)."""
    today = (now or dt.datetime.now(dt.timezone.utc)).date()
    weeks = Counter(_week_of(d) for d in dates)
    current = _week_of(today)
    if current in weeks or not weeks:
        ref, is_current, ref_day = current, True, today
    else:
        ref_day = max(dates)
        ref, is_current = _week_of(ref_day), False
    return ref, weeks.get(ref, 0), weeks.get(_week_of(ref_day - dt.timedelta(days=7)), 0), is_current


def severity(kind: str, total: int, this_week: int, last_week: int) -> str:
    """critical / high / medium / low from the volume of the reference week and its growth."""
    growth = this_week / last_week if last_week else (float(this_week) if this_week else 0.0)
    if kind == "broken_promise":
        if this_week >= 20 and growth >= 2:
            return "critical"
        if this_week >= 10 or (this_week >= 3 and growth >= 2):
            return "high"
        return "medium"
    if kind == "theme_spike":
        return "critical" if this_week >= 50 else "high"
    if kind == "emerging_theme":
        return "high" if total >= 30 else "medium"
    if this_week >= 50 or (this_week >= 10 and growth >= 3):
        return "high"
    if this_week >= 10 or total >= 25:
        return "medium"
    return "low"


def describe(store: "VocStore", insight_id: int, *, now: dt.datetime | None = None) -> dict:
    """Title, summary, severity and confidence of an insight from all its findings."""
    head = store.conn.execute(
        "select i.kind, i.department, i.theme_id, i.promise_id, t.label, p.text from insights i "
        "left join themes t on t.id = i.theme_id left join promises p on p.id = i.promise_id where i.id = ?",
        [insight_id]).fetchone()
    kind, department, _theme_id, promise_id, theme_label, promise_text = head
    rows = list(store.db.query(
        "select coalesce(d.received_at, f.created_at) as at, f.detail, r.confidence, f.evidence "
        "from insight_findings x join findings f on f.id = x.finding_id "
        "left join documents d on d.id = f.document_id left join finding_routes r on r.finding_id = f.id "
        "where x.insight_id = ?", [insight_id]))
    dates = [d for d in (_day(r["at"]) for r in rows) if d]
    total = len(rows)
    ref, this_week, last_week, is_current = weekly(dates, now)
    when = "this week" if is_current else f"in {ref}"
    before = "last week" if is_current else "the week before"
    ratio = _ratio(this_week, last_week)
    trend = f", {ratio} {before}" if ratio and last_week else (f", {ratio}" if ratio else "")
    plural = "s" if this_week != 1 else ""
    theme = f"'{theme_label}'" if theme_label else "no single theme"
    if kind == "broken_promise":
        what = f"'{promise_text}'" if promise_text else "(no registered promise)"
        title = f"Broken promise {what}: {this_week} report{plural} {when}{trend}"
    elif kind == "commitment":
        what = f" '{promise_text}'" if promise_text else ""
        title = f"Agent commitment{what}: {this_week} {when}{trend}"
    elif kind == "theme_spike":
        detail = json.loads(rows[0]["detail"] or "{}") if rows and rows[0]["detail"] else {}
        usual = detail.get("ratio")
        title = f"Spike in {theme}: {detail.get('count', this_week)} mentions {when}" + (
            f", {usual:.1f}x the usual" if isinstance(usual, (int, float)) else "")
    elif kind == "emerging_theme":
        title = f"Emerging theme {theme}: {total} mention{'s' if total != 1 else ''} so far"
    else:
        title = f"Negative feedback on {theme}: {this_week} comment{plural} {when}{trend}"
    if department is None:
        title += " (unrouted: needs triage)"
    first = min(dates).isoformat() if dates else "unknown"
    summary = f"{total} finding{'s' if total != 1 else ''} in all since {first}; {this_week} {when}, {last_week} {before}."
    if promise_id and not promise_text:
        summary += f" Promise {promise_id}."
    confs = [r["confidence"] for r in rows if r["confidence"] is not None]
    return {"title": title, "summary": summary, "severity": severity(kind, total, this_week, last_week),
            "confidence": round(sum(confs) / len(confs), 4) if confs else None}
