"""Agents (contact center): per agent, conversations and how the customer's sentiment moved from the
start to the end of them, commitments made, broken promises raised; the variance between agents as
a range chart, and a page per agent with their conversations."""

from __future__ import annotations

from flask import jsonify, render_template

from api import get_store
from api.web import READERS, bp, not_found, page, wants_json
from api.web.overview import chart
from voc.store.agents import SHIFT_MARGIN

#: agents with fewer analysed conversations are drawn hollow and left out of the headline gap
FEW = 3


def _range_chart(agents: list[dict]) -> str:
    """Each agent's mean shift (dot), quartiles (bar), whole range (line) and conversations (ticks)."""
    rows = [a for a in agents if a["shift_mean"] is not None]
    return chart({"type": "range", "margin": SHIFT_MARGIN, "zeroLabel": "no change",
                  "rows": [{"label": f"{a['name']} ({a['analysed']})", "mean": a["shift_mean"],
                            "low": a["shift_q1"], "high": a["shift_q3"], "min": a["shift_min"],
                            "max": a["shift_max"], "points": a["shifts"], "few": a["analysed"] < FEW} for a in rows]})


@bp.get("/agents.json")
@bp.get("/agents")  # registered first: the URL url_for builds
@page(*READERS)
def agents():
    items = get_store().agent_summary()
    if wants_json():
        return jsonify({"items": items, "shift_margin": SHIFT_MARGIN})
    ranked = [a for a in items if a["analysed"] >= FEW]  # best first; fewer conversations tell little
    spread = None
    if len(ranked) >= 2:
        spread = {"best": ranked[0], "worst": ranked[-1],
                  "gap": round(ranked[0]["shift_mean"] - ranked[-1]["shift_mean"], 4)}
    return render_template("agents.html", agents=items, range_chart=_range_chart(items), margin=SHIFT_MARGIN,
                           totals=get_store().conversation_totals(), spread=spread, few=FEW)


@bp.get("/agents/<name>")
@page(*READERS)
def agent(name: str):
    if name.endswith(".json"):
        name = name[:-5]
    detail = get_store().agent_detail(name)
    if detail is None:
        raise not_found(f"no agent named {name!r} speaks in any stored conversation")
    if wants_json():
        return jsonify(detail)
    return render_template("agent.html", agent=detail, margin=SHIFT_MARGIN,
                           range_chart=_range_chart([detail]))


@bp.app_template_filter("shift_class")
def shift_class(shift: float | None, margin: float = SHIFT_MARGIN) -> str:
    """``better``, ``worse`` or ``same`` for a sentiment shift (a CSS class)."""
    if shift is None:
        return ""
    return "better" if shift >= margin else ("worse" if shift <= -margin else "same")


@bp.app_template_filter("num2")
def num2(value: float | None) -> str:
    """A score with two decimals ("–" for none; never "-0.00")."""
    return "–" if value is None else f"{round(value, 2) + 0.0:.2f}"


@bp.app_template_filter("signed2")
def signed2(value: float | None) -> str:
    """A shift with its sign and two decimals ("+0.42", "0.00", "–" for none)."""
    if value is None:
        return "–"
    v = round(value, 2) + 0.0
    return f"{v:+.2f}" if v else "0.00"
