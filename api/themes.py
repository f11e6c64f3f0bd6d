"""Themes: what customers talk about, how much, how they feel about it, and how it moves week by week."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

from flask import Blueprint, current_app, jsonify, request

from api import get_store
from api.auth import READERS, require
from api.openapi import Param, page_of, ref, spec
from api.params import FILTER_PARAMS, PAGE_PARAMS, arg_int, filters, offset_page, page
from voc.errors import NotFound

bp = Blueprint("themes", __name__, url_prefix="/api/v1")

WEEKS = Param("weeks", {"type": "integer", "minimum": 1, "maximum": 520, "default": 26}, "weeks of trend")
EMPTY_MIX = {"negative": 0, "neutral": 0, "positive": 0, "net": None}


class ResultCache:
    """A small LRU of computed answers, keyed by the query and :meth:`VocStore.data_signature`,
    so an answer is reused only while the data it was computed from is unchanged."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _theme(row: dict, stats: dict | None) -> dict:
    stats = stats or {}
    try:
        keywords = json.loads(row.get("keywords") or "[]")
    except ValueError:
        keywords = []
    return {"id": row["id"], "label": row["label"], "description": row.get("description"),
            "keywords": keywords if isinstance(keywords, list) else [], "parent_id": row.get("parent_id"),
            "seed": bool(row.get("seed")), "status": row.get("status"), "volume": stats.get("volume", 0),
            "documents": stats.get("documents", 0), "sentiment": stats.get("sentiment", dict(EMPTY_MIX)),
            "trend": stats.get("trend", [])}


@bp.get("/themes")
@spec("Themes with volume, sentiment mix and weekly trend", params=(*FILTER_PARAMS, WEEKS, *PAGE_PARAMS),
      responses={200: ("A page of themes, the largest first", page_of("Theme"))})
@require(*READERS)
def list_themes():
    """Volume counts the customer's sentences (customers and focus-group participants) in each
    theme under the filters; ``sentiment`` is their mix; ``trend`` their weekly volume."""
    limit, state = page()
    weeks = arg_int("weeks", 26, 1, 520)
    f = filters()
    store = get_store()
    cache = current_app.extensions["voc"].state.setdefault("themes_cache", ResultCache())
    key = (request.query_string, store.data_signature())
    cached = cache.get(key)
    if cached is not None:
        return jsonify(cached)
    summary = store.theme_summary(f, weeks=weeks)
    rows = [t for t in store.themes() if not f.theme or t["id"] == f.theme]
    if f.any:
        rows = [t for t in rows if t["id"] in summary]
    rows.sort(key=lambda t: (-summary.get(t["id"], {}).get("volume", 0), t["id"]))

    def items(offset: int, n: int) -> list[dict]:
        return [_theme(t, summary.get(t["id"])) for t in rows[offset:offset + n]]
    result = offset_page(items, limit, state)
    cache.put(key, result)
    return jsonify(result)


@bp.get("/themes/<theme_id>")
@spec("One theme with its verbatims", params=(*FILTER_PARAMS, WEEKS,
      Param("verbatims", {"type": "integer", "minimum": 0, "maximum": 100, "default": 10}, "how many verbatims")),
      responses={200: ("The theme", {"allOf": [ref("Theme"), {"type": "object", "properties": {
          "verbatims": {"type": "array", "items": ref("Verbatim")}}}]})})
@require(*READERS)
def get_theme(theme_id: str):
    """The theme's figures under the filters, plus customer sentences from it, the most recent first."""
    f = filters()
    weeks = arg_int("weeks", 26, 1, 520)
    n = arg_int("verbatims", 10, 0, 100)
    store = get_store()
    row = store.theme(theme_id)
    if row is None:
        raise NotFound(f"no theme with id {theme_id!r}. Fix: GET /api/v1/themes lists them")
    record = _theme(row, store.theme_summary(f, [theme_id], weeks=weeks).get(theme_id))
    record["retired_at"] = row.get("retired_at")
    record["verbatims"] = store.theme_verbatims(theme_id, f, limit=n) if n else []
    return jsonify(record)
