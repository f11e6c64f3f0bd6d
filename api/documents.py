"""Documents: the export record plus its sentences."""

from flask import Blueprint, jsonify

from api import get_store
from api.auth import require
from voc.errors import NotFound

bp = Blueprint("documents", __name__, url_prefix="/api/v1")

READERS = ("analyst", "marketing", "product", "contact_center")


@bp.get("/documents/<doc_id>")
@require(*READERS)
def get_document(doc_id: str):
    store = get_store()
    records = list(store.document_records([doc_id]))
    if not records:
        raise NotFound(f"no document with id {doc_id!r}")
    record = records[0]
    record["sentences"] = list(store.sentence_records([doc_id]))
    return jsonify(record)
