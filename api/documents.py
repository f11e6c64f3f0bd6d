"""Documents: the export records of SPEC.md section 3, listed with filters, and one with its sentences."""

from flask import Blueprint, jsonify

from api import get_store
from api.auth import READERS, require
from api.openapi import page_of, ref, spec
from api.params import FILTER_PARAMS, PAGE_PARAMS, cursor_int, encode_cursor, filters, page
from voc.errors import NotFound

bp = Blueprint("documents", __name__, url_prefix="/api/v1")


@bp.get("/documents")
@spec("List documents, newest first", params=(*FILTER_PARAMS, *PAGE_PARAMS),
      responses={200: ("A page of document records", page_of("Document"))})
@require(*READERS)
def list_documents():
    """Export records (without sentences) of the documents matching the filters."""
    limit, state = page()
    before = cursor_int(state, "r") if "r" in state else None
    store = get_store()
    ids, last = store.list_document_ids(filters(), limit=limit, before_rowid=before)
    return jsonify({"items": list(store.document_records(ids)),
                    "next_cursor": encode_cursor({"r": last}) if last is not None else None})


@bp.get("/documents/<doc_id>")
@spec("One document: its export record plus its sentences", responses={200: ("The document", ref("Document"))})
@require(*READERS)
def get_document(doc_id: str):
    """The record of ``voc export documents`` with ``sentences`` as ``voc export sentences`` writes them."""
    store = get_store()
    records = list(store.document_records([doc_id]))
    if not records:
        raise NotFound(f"no document with id {doc_id!r}")
    record = records[0]
    record["sentences"] = list(store.sentence_records([doc_id]))
    return jsonify(record)
