"""Writing export records (SPEC.md section 3) as JSON Lines or CSV, streaming."""

from __future__ import annotations

import csv
import json
from typing import IO, Iterable

DOCUMENT_FIELDS = ["id", "external_id", "kind", "source", "received_at", "title", "sentiment", "themes",
                   "broken_promises", "departments"]
SENTENCE_FIELDS = ["document_id", "external_id", "seq", "speaker", "role", "text", "sentiment", "theme",
                   "broken_promise", "promise_id", "departments"]

#: CSV columns: nested objects become ``<field>_<key>`` columns, lists are joined with ";"
DOCUMENT_CSV = ["id", "external_id", "kind", "source", "received_at", "title", "sentiment_label",
                "sentiment_score", "themes", "theme_labels", "broken_promises", "departments"]
SENTENCE_CSV = ["document_id", "external_id", "seq", "speaker", "role", "text", "sentiment_label",
                "sentiment_score", "theme_id", "theme_label", "broken_promise", "promise_id", "departments"]
FORMATS = ("jsonl", "csv")


def _join(values: Iterable) -> str:
    return ";".join("" if v is None else str(v) for v in values)


def flatten_document(r: dict) -> dict:
    sentiment = r["sentiment"] or {}
    return {
        "id": r["id"], "external_id": r["external_id"], "kind": r["kind"], "source": r["source"],
        "received_at": r["received_at"], "title": r["title"], "sentiment_label": sentiment.get("label"),
        "sentiment_score": sentiment.get("score"), "themes": _join(t["id"] for t in r["themes"]),
        "theme_labels": _join(t["label"] for t in r["themes"]),
        "broken_promises": _join(p["promise_id"] or "unregistered" for p in r["broken_promises"]),
        "departments": _join(r["departments"]),
    }


def flatten_sentence(r: dict) -> dict:
    sentiment, theme = r["sentiment"] or {}, r["theme"] or {}
    return {
        "document_id": r["document_id"], "external_id": r["external_id"], "seq": r["seq"], "speaker": r["speaker"],
        "role": r["role"], "text": r["text"], "sentiment_label": sentiment.get("label"),
        "sentiment_score": sentiment.get("score"), "theme_id": theme.get("id"), "theme_label": theme.get("label"),
        "broken_promise": "true" if r["broken_promise"] else "false", "promise_id": r["promise_id"],
        "departments": _join(r["departments"]),
    }


def write_records(records: Iterable[dict], what: str, fmt: str, out: IO[str]) -> int:
    """Write ``records`` of ``what`` (``documents`` or ``sentences``) to ``out``; return how many."""
    n = 0
    if fmt == "jsonl":
        for n, record in enumerate(records, start=1):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return n
    columns, flatten = (DOCUMENT_CSV, flatten_document) if what == "documents" else (SENTENCE_CSV, flatten_sentence)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for n, record in enumerate(records, start=1):
        writer.writerow(flatten(record))
    return n
