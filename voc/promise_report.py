"""Text renderings of the promise registry, the gap report and the candidate promises for ``voc promises``.

Pure functions from the rows the store returns (the same the API serves) to lines for a terminal,
and candidates as ``[[promises]]`` entries to paste into voc.toml. Nothing heavy is imported.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Sequence

_BARS = " ▁▂▃▄▅▆▇█"


def quantity(q: dict | None) -> str:
    """``{"median": 7.0, "unit": "days"}`` (or ``"value"``) -> ``7 days``; ``-`` for none."""
    if not q:
        return "-"
    value, unit = q.get("median", q.get("value")), q.get("unit")
    if isinstance(value, str):
        return value
    if unit == "days":
        if value < 1 / 24:
            return f"{round(value * 1440):g} minutes"
        return f"{round(value * 24, 1):g} hours" if value < 1 else f"{round(value, 1):g} day{'s' if value != 1 else ''}"
    if unit == "hours":  # a time of day
        return f"{int(value):02d}:{round(value % 1 * 60):02d}"
    symbol = {"USD": "$", "GBP": "£", "EUR": "€"}.get(unit or "", unit or "")
    return f"{symbol}{value:,.2f}".replace(".00", "") if len(symbol) == 1 else f"{value:g} {unit}"


def sparkline(counts: Sequence[int]) -> str:
    top = max(counts, default=0)
    if not top:
        return ""
    return "".join(_BARS[max(1, round(c / top * 8))] if c else _BARS[0] for c in counts)


def _weekly(trend: list[dict], weeks: int = 12) -> list[int]:
    """Breaks per week over the last ``weeks`` weeks of the trend, empty weeks included."""
    if not trend:
        return []
    last = dt.date.fromisoformat(trend[-1]["week"])
    by_week = {t["week"]: t["broken"] for t in trend}
    return [by_week.get((last - dt.timedelta(weeks=weeks - 1 - i)).isoformat(), 0) for i in range(weeks)]


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    def fmt(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    return [fmt(header), *(fmt(r) for r in rows)]


def promises_lines(promises: list[dict]) -> list[str]:
    if not promises:
        return ["no promises registered (add [[promises]] to voc.toml, or POST /api/v1/promises)"]
    rows = [[p["id"], p["department"] or "-", p["target"] or "-", p["source"] or "-",
             f"{p['valid_from'] or ''}..{p['valid_to'] or ''}" if p["valid_from"] or p["valid_to"] else "-",
             _cut(p["text"], 60)] for p in promises]
    return _table(["id", "owner", "target", "source", "valid", "text"], rows)


def gaps_lines(gaps: list[dict]) -> list[str]:
    """One row per promise (the most broken first), its latest examples indented below it."""
    if not gaps:
        return ["no promises registered and no broken promises found"]
    rows = [[g["promise_id"] or "(unregistered)", g["owner"] or "-", str(g["mentions"]), str(g["broken"]),
             f"{g['broken_rate']:.0%}" if g["broken_rate"] is not None else "-", quantity(g["promised"]),
             quantity(g["reported"]), sparkline(_weekly(g["trend"]))] for g in gaps]
    table = _table(["promise", "owner", "mentions", "broken", "rate", "promised", "reported", "weekly (12 wk)"],
                   rows, right={2, 3, 4})
    out = table[:1]
    for line, g in zip(table[1:], gaps):
        out.append(line)
        for e in g["examples"]:
            gap = f" [{e['gap']}]" if e.get("gap") else ""
            out.append(f"    {(e.get('received_at') or '')[:10]}  {e['document_id']}: {_cut(e['evidence'], 90)}{gap}")
    return out


def candidates_lines(candidates: list[dict]) -> list[str]:
    if not candidates:
        return ["no candidates: no recurring broken commitment outside the registry"]
    out = []
    for c in candidates:
        s = c["suggested"]
        out.append(f"{c['candidate_id']}  {c['mentions']} documents ({c['findings']} mentions), "
                   f"{(c['first_seen'] or '')[:10]} .. {(c['last_seen'] or '')[:10]}, owner {c['department'] or '-'}")
        out.append(f"    suggested  {s['id']}: {s['text']}" + (f"  [target {s['target']}]" if s["target"] else ""))
        if c["quantity_kind"]:
            how = "median" if c["quantity_kind"] in ("duration", "money") else "most frequent"
            out.append(f"    promised   {quantity(c['promised'])} ({c['quantity_kind']}, {how} of "
                       f"{c['promised']['n']}); reported {quantity(c['reported'])}")
        for e in c["examples"]:
            out.append(f"    e.g. {(e.get('received_at') or '')[:10]}  {e['document_id']}: {_cut(e['evidence'], 90)}")
        out.append("")
    return out[:-1]


def candidates_toml(candidates: list[dict]) -> str:
    """The candidates' suggested promises as ``[[promises]]`` entries for voc.toml."""
    blocks = []
    for c in candidates:
        s = c["suggested"]
        lines = [f"# {c['candidate_id']}: {c['mentions']} documents, {(c['first_seen'] or '')[:10]} .. "
                 f"{(c['last_seen'] or '')[:10]}", "[[promises]]", f"id = {json.dumps(s['id'])}",
                 f"text = {json.dumps(s['text'], ensure_ascii=False)}"]
        lines += [f"{k} = {json.dumps(s[k], ensure_ascii=False)}" for k in ("department", "target") if s.get(k)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
