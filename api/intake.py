"""Taking customer voice in over HTTP: JSON documents, file uploads, and the analysis jobs they queue.

Both write paths store what they are given at once (one transaction per request, so concurrent
clients queue on SQLite's write lock instead of failing), answer 202, and queue an ``analyze`` job
for the worker. A job still waiting in the queue is reused, since one run analyses everything new.
"""

from __future__ import annotations

import secrets
import shutil

from flask import Blueprint, current_app, jsonify, request
from werkzeug.utils import secure_filename

from api import get_store
from api.auth import READERS, actor, require
from api.openapi import ref, spec
from api.params import UnsupportedMediaType, json_body
from voc.errors import InputError
from voc.records import KINDS, ROLES, NewDocument, Utterance

bp = Blueprint("intake", __name__, url_prefix="/api/v1")

MAX_DOCUMENTS = 1000
MAX_TEXT = 1_000_000


def queue_analysis(store, reason: dict) -> str:
    job_id = store.enqueue_job("analyze", reason, coalesce=True)
    current_app.extensions["voc"].wake_worker()
    return job_id


def _text(doc: dict, name: str, where: str, *, max_len: int = 2000) -> str | None:
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name == "external_id":
        return str(value)
    if not isinstance(value, str) or len(value) > max_len:
        raise InputError(f"{where}.{name} must be a string of at most {max_len} characters, found {value!r:.60}")
    return value.strip() or None


def parse_document(doc: object, i: int, source: str) -> NewDocument:
    """One element of ``documents``, checked; the message names the element and the field."""
    from voc.ingest.base import normalise_date
    where = f"documents[{i}]"
    if not isinstance(doc, dict):
        raise InputError(f"{where} must be an object with kind and text (or utterances)")
    unknown = set(doc) - {"kind", "text", "utterances", "external_id", "received_at", "title", "metadata", "source"}
    if unknown:
        raise InputError(f"{where} has unknown field(s) {', '.join(sorted(unknown))}. Fields: kind, text, "
                         "utterances, external_id, received_at, title, metadata")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise InputError(f"{where}.kind must be one of {', '.join(KINDS)}, found {kind!r:.60}")
    text = _text(doc, "text", where, max_len=MAX_TEXT) or ""
    utterances = []
    raw_turns = doc.get("utterances")
    if raw_turns is not None:
        if not isinstance(raw_turns, list):
            raise InputError(f"{where}.utterances must be a list of {{speaker, role, text}}")
        for j, turn in enumerate(raw_turns):
            at = f"{where}.utterances[{j}]"
            if not isinstance(turn, dict) or not isinstance(turn.get("text"), str) or not turn["text"].strip():
                raise InputError(f"{at} must be an object with a non-empty text")
            role = turn.get("role") or "unknown"
            if role not in ROLES:
                raise InputError(f"{at}.role must be one of {', '.join(ROLES)}, found {role!r:.60}")
            utterances.append(Utterance(_text(turn, "speaker", at, max_len=200), role, turn["text"].strip()))
    if not text and not utterances:
        raise InputError(f"{where} needs a non-empty text or utterances")
    if text and utterances:
        raise InputError(f"{where} has both text and utterances: send one of them")
    received_raw = _text(doc, "received_at", where, max_len=100)
    received_at = normalise_date(received_raw) if received_raw else None
    if received_raw and received_at is None:
        raise InputError(f"{where}.received_at must be an ISO 8601 date, found {received_raw!r}")
    metadata = doc.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputError(f"{where}.metadata must be an object")
    return NewDocument(kind=kind, source=_text(doc, "source", where, max_len=500) or source, text=text,
                       external_id=_text(doc, "external_id", where), received_at=received_at,
                       title=_text(doc, "title", where, max_len=1000), utterances=tuple(utterances), metadata=metadata)


@bp.post("/documents")
@spec("Add documents (JSON); queues their analysis",
      body={"type": "object", "required": ["documents"], "properties": {
          "documents": {"type": "array", "minItems": 1, "maxItems": MAX_DOCUMENTS, "items": ref("NewDocument")}}},
      responses={202: ("Stored; analysis queued", ref("Accepted"))}, errors=(413, 415))
@require("contact_center")
def post_documents():
    """Stores every document in one transaction (all or none) and answers 202 with their ids, in
    the order given, and the id of the analysis job. A document of the same kind and external id
    as one already stored is not stored again: its existing id is returned and listed in
    ``duplicates``."""
    import dataclasses

    from voc.ingest.redact import Redactor
    body = json_body()
    docs = body.get("documents")
    if not isinstance(docs, list) or not docs:
        raise InputError("`documents` must be a non-empty list of {kind, text or utterances, external_id, "
                         "received_at, metadata}")
    if len(docs) > MAX_DOCUMENTS:
        raise InputError(f"at most {MAX_DOCUMENTS} documents per request, found {len(docs)}. Fix: send them in "
                         "several requests, or upload a file to /api/v1/uploads")
    source = f"api:{actor()}"
    parsed = [parse_document(d, i, source) for i, d in enumerate(docs)]
    redact = Redactor(enabled=current_app.extensions["voc"].config.ingest.redact)
    if redact.enabled:
        parsed = [dataclasses.replace(d, text=redact(d.text), title=redact(d.title) if d.title else d.title,
                                      utterances=tuple(dataclasses.replace(u, text=redact(u.text))
                                                       for u in d.utterances)) for d in parsed]
    store = get_store()
    batch_id = store.start_batch(source)
    ids, duplicates = [], []
    with store.transaction():
        for doc in parsed:
            doc_id, created = store.add_document(doc, batch_id=batch_id)
            ids.append(doc_id)
            if not created:
                duplicates.append(doc_id)
        store.audit(actor(), "documents.create", batch_id, {"documents": len(ids), "duplicates": len(duplicates)})
    store.finish_batch(batch_id, ingested=len(ids) - len(duplicates), duplicates=len(duplicates), rejected=0)
    job_id = queue_analysis(store, {"batch_id": batch_id})
    response = jsonify({"ids": ids, "created": len(ids) - len(duplicates), "duplicates": duplicates,
                        "batch_id": batch_id, "job_id": job_id})
    response.status_code = 202
    return response


def receive_upload(who: str) -> dict:
    """The work behind ``POST /api/v1/uploads`` and the dashboard's ``POST /upload``: read the request's
    ``file`` parts like ``voc ingest`` reads files (spooled to disk, removed afterwards; rejected files
    kept in quarantine with their reason), audit it as ``who`` and queue an analysis job. Returns the
    result body: batch_id, accepted, duplicates, rejected, files (one per file) and job_id. Raises
    :class:`UnsupportedMediaType` when the request is not multipart or no file is of a type voc reads."""
    from voc.ingest import Ingestor, IngestOptions
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise UnsupportedMediaType("send the files as multipart/form-data with one `file` part per file")
    files = [f for f in request.files.getlist("file") + request.files.getlist("files")  # `files`: a common slip
             if f and f.filename]
    if not files:
        raise InputError("no `file` part in the upload. Fix: send each file as a multipart part named `file`")
    kind = request.form.get("kind") or request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise InputError(f"`kind` must be one of {', '.join(KINDS)}, found {kind!r:.60}")
    vocapp = current_app.extensions["voc"]
    spool = vocapp.spool_dir / secrets.token_hex(8)
    names, paths = [], []
    try:
        for i, f in enumerate(files):
            name = secure_filename(f.filename or "") or f"upload-{i}"
            path = spool / str(i) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            f.save(path)
            names.append(f.filename or name)
            paths.append(path)
        store = get_store()
        summary = Ingestor(store, vocapp.config, options=IngestOptions(kind=kind)).ingest(
            paths, source=None)
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    results, rejected = [], []
    for name, result in zip(names, summary.files):
        results.append({"file": name, "status": result.status, "kind": result.kind, "accepted": result.ingested,
                        "duplicates": result.duplicates, "rejected": result.rejected, "error": result.reason})
        if result.status == "rejected":
            rejected.append({"file": name, "error": result.reason})
        for problem in result.problems:
            rejected.append({"file": name, "item": problem.item, "error": problem.reason})
    if all(r["status"] == "rejected" and (r["error"] or "").startswith("unsupported file type") for r in results):
        raise UnsupportedMediaType("no file of a type voc reads: " + "; ".join(f"{r['file']}: {r['error']}"
                                                                             for r in results))
    store.audit(who, "upload", summary.batch_id, {"files": names, "accepted": summary.ingested,
                                                  "duplicates": summary.duplicates, "rejected": summary.rejected})
    job_id = queue_analysis(store, {"batch_id": summary.batch_id})
    return {"batch_id": summary.batch_id, "accepted": summary.ingested, "duplicates": summary.duplicates,
            "rejected": rejected, "files": results, "job_id": job_id}


@bp.post("/uploads")
@spec("Upload files of customer voice; queues their analysis",
      body={"type": "object", "required": ["file"], "properties": {
          "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
          "kind": {"enum": list(KINDS)}}},
      body_type="multipart/form-data",
      responses={202: ("Files read; per-file results; analysis queued", ref("UploadResult"))}, errors=(413, 415))
@require("contact_center")
def post_upload():
    """Reads each ``file`` part like ``voc ingest`` reads a file (CSV, TSV, JSON, JSON Lines, XLSX,
    .txt, .eml, .mbox, .vtt, .srt). Each file is accepted, a duplicate, or rejected with its reason
    (rejected files are kept in quarantine); the request answers 202 unless no file could be read
    because of its type (415). A request over ``[server] max_upload_mb`` answers 413."""
    response = jsonify(receive_upload(actor()))
    response.status_code = 202
    return response


@bp.get("/jobs/<job_id>")
@spec("Status and progress of a job", responses={200: ("The job", ref("Job"))})
@require(*READERS)
def get_job(job_id: str):
    """``status`` is queued, running, done or failed; ``progress`` runs from 0 to 1; ``error`` says
    why a job failed."""
    from voc.errors import NotFound
    job = get_store().get_job(job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id!r}")
    return jsonify(job)
