"""Themes for product teams: a searchable list with volume, sentiment mix and trend; a theme page
with its trend, keywords, sub-themes, lineage and filterable verbatims; semantic search."""

from __future__ import annotations

import json

from flask import render_template, request, url_for

from api import get_store
from api.params import filters
from api.web import READERS, PageError, bp, page
from api.web.overview import chart
from voc.records import KINDS
from voc.store.reports import combine_summaries, week_range

VERBATIM_PAGE = 25


def _keywords(row: dict) -> list[str]:
    try:
        words = json.loads(row.get("keywords") or "[]")
    except ValueError:
        return []
    return [w for w in words if isinstance(w, str)] if isinstance(words, list) else []


def _examples(row: dict) -> list[str]:
    """Representative sentences kept with the theme when it was fitted (JSON list), else its text."""
    raw = row.get("description") or ""
    try:
        value = json.loads(raw)
    except ValueError:
        return [raw] if raw else []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _members(rows: list[dict]) -> dict[str, list[str]]:
    """Group id -> ids of the themes in it."""
    out: dict[str, list[str]] = {}
    for t in rows:
        if t["parent_id"]:
            out.setdefault(t["parent_id"], []).append(t["id"])
    return out


def _filter_form() -> dict:
    """The verbatim/list filters as typed, to refill the form."""
    return {k: request.args.get(k, "") for k in ("from", "to", "kind", "sentiment", "source", "q")}


def _sources(store) -> list[str]:
    return [r["source"] for r in store.db.query("select distinct source from documents order by source limit 200")]


@bp.get("/themes")
@page(*READERS)
def themes():
    store = get_store()
    f = filters()
    form = _filter_form()
    query = form["q"].strip().lower()
    summary = store.theme_summary(f)
    rows = store.themes()
    labels = {t["id"]: t["label"] for t in rows}
    members = _members(rows)
    items = []
    for t in rows:
        s = summary.get(t["id"], {})
        if t["id"] in members:  # a group: its member themes' figures together
            s = combine_summaries([summary.get(m, {}) for m in members[t["id"]]])
            if s:
                s["documents"] = store.distinct_theme_documents(members[t["id"]], f)
        keywords = _keywords(t)
        if query and query not in t["label"].lower() and not any(query in k.lower() for k in keywords):
            continue
        if f.any and not s:
            continue
        mix = s.get("sentiment") or {"negative": 0, "neutral": 0, "positive": 0, "net": None}
        items.append({"id": t["id"], "label": t["label"], "keywords": keywords[:6], "volume": s.get("volume", 0),
                      "documents": s.get("documents", 0), "mix": mix, "group": t["stage"] and t["stage"].endswith("/group"),
                      "parent": labels.get(t["parent_id"]) if t["parent_id"] else None, "parent_id": t["parent_id"],
                      "seed": bool(t["seed"]), "trend": [w["volume"] for w in s.get("trend", [])]})
    items.sort(key=lambda i: (-i["volume"], i["id"]))
    return render_template("themes.html", items=items, form=form, kinds=KINDS, sources=_sources(store), chart=chart,
                           total=len(rows))


@bp.get("/themes/<theme_id>")
@page(*READERS)
def theme(theme_id: str):
    store = get_store()
    row = store.theme(theme_id)
    if row is None:
        raise PageError(404, f"There is no theme {theme_id!r}; it may have been merged or retired.")
    f = filters()
    form = _filter_form()
    children = [t for t in store.themes() if t["parent_id"] == theme_id]
    child_stats = store.theme_summary(f, [c["id"] for c in children], weeks=52) if children else {}
    ids = [c["id"] for c in children] or [theme_id]
    if children:  # a group: its member themes' figures together
        stats = combine_summaries(list(child_stats.values()))
        if stats:
            stats["documents"] = store.distinct_theme_documents(ids, f)
    else:
        stats = store.theme_summary(f, [theme_id], weeks=52).get(theme_id, {})
    trend = stats.get("trend", [])
    weeks = week_range(trend[0]["week"], trend[-1]["week"]) if trend else []
    by_week = {t["week"]: t for t in trend}
    trend_chart = chart({"type": "line", "x": [w[5:] for w in weeks], "series": [
        {"name": "customer sentences", "values": [by_week.get(w, {}).get("volume", 0) for w in weeks]},
        {"name": "negative", "values": [by_week.get(w, {}).get("negative", 0) for w in weeks], "color": "#d6502f",
         "dashed": True}]})
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    verbatims = store.theme_verbatims(ids, f, limit=offset + VERBATIM_PAGE + 1)[offset:]
    more = len(verbatims) > VERBATIM_PAGE
    parent = store.theme(row["parent_id"]) if row["parent_id"] else None
    lineage = list(store.db.query(
        "select l.at, l.kind, l.theme_id, l.other_theme_id, a.label as theme_label, b.label as other_label "
        "from theme_lineage l left join themes a on a.id = l.theme_id left join themes b on b.id = l.other_theme_id "
        "where l.theme_id = ? or l.other_theme_id = ? order by l.at, l.id", [theme_id, theme_id]))
    args = {k: v for k, v in request.args.items() if k != "offset" and v}
    newer = url_for("dashboard.theme", theme_id=theme_id, **args, offset=max(offset - VERBATIM_PAGE, 0)) if offset else None
    older = url_for("dashboard.theme", theme_id=theme_id, **args, offset=offset + VERBATIM_PAGE) if more else None
    return render_template(
        "theme.html", newer=newer, older=older, theme=row, keywords=_keywords(row), examples=_examples(row)[:5], stats=stats,
        mix=stats.get("sentiment"), trend_chart=trend_chart if weeks else None, verbatims=verbatims[:VERBATIM_PAGE],
        more=more, offset=offset, page_size=VERBATIM_PAGE, children=children, child_stats=child_stats,
        parent=parent, lineage=lineage, form=form, kinds=KINDS, sources=_sources(store), chart=chart)


@bp.get("/search")
@page(*READERS)
def search():
    from api.search import MODES, run_search
    store = get_store()
    form = _filter_form()
    q = form["q"].strip()
    mode = request.args.get("mode") or "hybrid"
    if mode not in MODES:
        raise PageError(400, f"Search mode must be one of {', '.join(MODES)}.")
    if len(q) > 500:
        raise PageError(400, "Search for at most 500 characters.")
    hits, ran = [], mode
    if q:
        hits, _, ran = run_search(store, q, mode, filters(), limit=50)
    return render_template("search.html", q=q, mode=mode, ran=ran, hits=hits, form=form, modes=MODES, kinds=KINDS,
                           sources=_sources(store))
