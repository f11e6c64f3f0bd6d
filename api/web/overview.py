"""Overview: volume and sentiment over time, themes on the move, open insights, promise gaps."""

from __future__ import annotations

import json

from flask import render_template

from api import get_store
from api.web import READERS, bp, current_user, page


def chart(spec: dict) -> str:
    """A chart spec for a ``data-chart`` attribute (Jinja escapes it)."""
    return json.dumps(spec, separators=(",", ":"), default=str)


@bp.get("/")
@page(*READERS, "department")
def overview():
    store = get_store()
    user = current_user()
    counts = store.counts()
    weekly = store.weekly_volume()
    volume_chart = chart({
        "type": "line", "x": [w["week"][5:] for w in weekly], "rightRange": [-1, 1],
        "series": [{"name": "documents", "values": [w["documents"] for w in weekly]},
                   {"name": "mean sentiment", "values": [w["sentiment"] for w in weekly], "axis": "right",
                    "color": "#2f9e6e"}]})
    departments = store.list_departments()
    if user["role"] == "department":
        departments = [d for d in departments if d["name"] == user["department"]]
    gaps = [g for g in store.promise_gaps(examples=0) if g["promise_id"] and g["mentions"]][:5]
    return render_template(
        "overview.html", counts=counts, weekly=weekly, volume_chart=volume_chart, pending=store.count_pending(),
        movers=store.theme_movers() if user["role"] != "department" else {"up": [], "down": []},
        departments=departments, gaps=gaps, chart=chart, undated=store.undated_documents(),
        batches=list(store.db.query("select source, started_at, ingested, duplicates, rejected from batches "
                                    "order by started_at desc limit 5")))
