"""Search over sentences: keywords (SQLite FTS5) and meaning (MiniLM embeddings), fused by rank.

The embedding model is imported on the first semantic query only, never by other routes; when it
is not installed, or no sentence has an embedding yet, search is by keyword alone.
"""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, jsonify, request

from api import get_store
from api.auth import READERS, require
from api.openapi import Param, page_of, spec
from api.params import FILTER_PARAMS, PAGE_PARAMS, BadRequest, arg_choice, cursor_int, encode_cursor, filters, page

bp = Blueprint("search", __name__, url_prefix="/api/v1")

MODES = ("hybrid", "keyword", "semantic")
RRF_K = 60
MAX_RESULTS = 1000
_index_lock = threading.Lock()


def semantic_index():
    """The application's :class:`voc.semantic.SemanticIndex`, built on first use."""
    state = current_app.extensions["voc"].state
    if "semantic" not in state:
        with _index_lock:
            if "semantic" not in state:
                from voc.semantic import SemanticIndex
                state["semantic"] = SemanticIndex(current_app.extensions["voc"].config.nlp.embedding_model)
    return state["semantic"]


def warm_up(app) -> threading.Thread:
    """Load the stored vectors and the model in the background, so the first semantic search of a
    served database does not wait for them (started by ``create_app`` when it runs a worker)."""
    def run() -> None:
        import logging
        try:
            with app.app_context():
                index = semantic_index()
                store = app.extensions["voc"].open_store()
                try:
                    if index.available and index.refresh(store):
                        index.encode("warm up")
                finally:
                    store.close()
        except Exception:  # noqa: BLE001 - search still works, it just pays on its first query
            logging.getLogger("voc.api").warning("search warm-up failed", exc_info=True)
    thread = threading.Thread(target=run, name="voc-search-warm-up", daemon=True)
    thread.start()
    return thread


@bp.get("/search")
@spec("Search sentences by keyword and meaning", params=(
    Param("q", {"type": "string", "minLength": 1, "maxLength": 500}, "what to look for", required=True),
    Param("mode", {"enum": list(MODES), "default": "hybrid"}, "keyword, semantic, or both fused"),
    *FILTER_PARAMS, *PAGE_PARAMS),
    responses={200: ("A page of matching sentences, best first", {"allOf": [page_of("SearchHit"), {
        "type": "object", "properties": {"mode": {"enum": list(MODES)}}}]})})
@require(*READERS)
def search():
    """``hybrid`` (default) fuses the keyword ranking (FTS5 with stemming) and the semantic one
    (cosine similarity of MiniLM embeddings) by reciprocal rank; ``mode`` in the answer says which
    ran (``keyword`` when the model or the embeddings are missing). Filters apply to both."""
    q = (request.args.get("q") or "").strip()
    if not q or len(q) > 500 or "\x00" in q:
        raise BadRequest("`q` must be 1 to 500 characters of text, e.g. ?q=refund")
    mode = arg_choice("mode", MODES) or "hybrid"
    limit, state = page()
    offset = cursor_int(state, "o")
    if offset >= MAX_RESULTS:
        return jsonify({"items": [], "next_cursor": None, "mode": mode})
    f = filters()
    items, more, mode = run_search(get_store(), q, mode, f, offset=offset, limit=limit)
    return jsonify({"items": items, "next_cursor": encode_cursor({"o": offset + limit}) if more else None,
                    "mode": mode})


def run_search(store, q: str, mode: str, f, *, offset: int = 0, limit: int = 20) -> tuple[list[dict], bool, str]:
    """Hits ``offset`` to ``offset + limit`` for ``q``: (hits, whether more follow, the mode that ran).
    Used by the JSON route and the dashboard's search page."""
    pool = min(MAX_RESULTS, max(100, offset + limit + 1))
    keyword = store.keyword_search(q, f, limit=pool) if mode != "semantic" else []
    semantic: list[tuple[int, float]] = []
    if mode != "keyword":
        index = semantic_index()
        allowed = store.filtered_sentence_ids(f) if f.any else None
        semantic = index.search(store, q, k=pool, allowed=allowed)
        if not semantic and mode == "hybrid":
            mode = "keyword"
    fused: dict[int, dict] = {}
    for rank, (sid, _) in enumerate(keyword):
        fused[sid] = {"score": 1 / (RRF_K + rank + 1), "match": "keyword", "similarity": None}
    for rank, (sid, sim) in enumerate(semantic):
        hit = fused.setdefault(sid, {"score": 0.0, "match": "semantic", "similarity": None})
        hit["score"] += 1 / (RRF_K + rank + 1)
        hit["similarity"] = round(sim, 4)
        if hit["match"] == "keyword":
            hit["match"] = "both"
    ranked = sorted(fused, key=lambda sid: -fused[sid]["score"])
    chunk = ranked[offset:offset + limit]
    rows = store.sentence_hits(chunk)
    items = [{**rows[sid], "score": round(fused[sid]["score"], 6), "match": fused[sid]["match"],
              "similarity": fused[sid]["similarity"]} for sid in chunk if sid in rows]
    more = len(ranked) > offset + limit and offset + limit < MAX_RESULTS
    return items, more, mode
