"""Upload (contact center): drop transcripts, emails, notes and tables; see what each file gave and
follow the analysis job until the documents are analysed.

``POST /upload`` does what ``POST /api/v1/uploads`` does (:func:`api.intake.receive_upload`), signed
in with the session instead of a key: JSON (202) for the page's script, the page itself for a plain
form post. ``GET /jobs/<id>.json`` is the job as the API shows it; ``GET /upload/batches/<id>.json``
lists what a batch stored and how far its analysis got.
"""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request, url_for

from api import get_store
from api.web import READERS, bp, current_user, not_found, page, wants_json
from voc.errors import VocError
from voc.ingest import READERS as FILE_READERS
from voc.records import KINDS

#: what the file picker offers (every extension ``voc ingest`` reads)
ACCEPT = ",".join(sorted(FILE_READERS))
FILE_TYPES = (("Call and chat transcripts", ".txt, .vtt, .srt, .json"), ("Emails", ".eml, .mbox"),
              ("Notes", ".txt"), ("Tables of feedback", ".csv, .tsv, .jsonl, .xlsx"))


def _context(**extra) -> dict:
    config = current_app.extensions["voc"].config
    store = get_store()
    batches = list(store.db.query("select id, source, started_at, ingested, duplicates, rejected from batches "
                                  "order by started_at desc limit 5"))
    return {"kinds": KINDS, "accept": ACCEPT, "file_types": FILE_TYPES, "batches": batches,
            "max_upload_mb": config.server.max_upload_mb, "max_file_mb": config.ingest.max_file_mb,
            "documents": store.db["documents"].count, **extra}


def _job_view(job_id: str | None, batch_id: str | None) -> dict:
    """The job and batch a page shows progress for (``?job=&batch=`` or a plain form post)."""
    store = get_store()
    job = store.get_job(job_id) if job_id else None
    batch = store.batch_documents(batch_id) if batch_id else None
    if batch is not None:
        _add_links(batch)
    return {"job": job, "batch": batch}


def _add_links(batch: dict) -> None:
    for doc in batch["documents"]:
        doc["links"] = [{"label": name, "href": url_for("dashboard.agent", name=name) + "#" + doc["id"]}
                        for name in doc["agents"]]


@bp.get("/upload")
@page("contact_center")
def upload():
    return render_template("upload.html", **_context(**_job_view(request.args.get("job"), request.args.get("batch"))))


@bp.post("/upload")
@page("contact_center")
def upload_post():
    from api.intake import receive_upload
    try:
        result = receive_upload(current_user()["name"])
    except VocError as exc:
        if wants_json():
            raise
        return render_template("upload.html", **_context(error=exc.message)), exc.status
    if wants_json():
        response = jsonify(result)
        response.status_code = 202
        return response
    return render_template("upload.html", **_context(result=result, **_job_view(result["job_id"], result["batch_id"])))


@bp.get("/jobs/<job_id>.json")
@page(*READERS)
def job(job_id: str):
    """The job record: status queued/running/done/failed, progress 0-1, done of total, error, result."""
    record = get_store().get_job(job_id)
    if record is None:
        raise not_found(f"no job with id {job_id!r}")
    return jsonify(record)


@bp.get("/upload/batches/<batch_id>.json")
@page("contact_center")
def upload_batch(batch_id: str):
    """What a batch stored: each document's status, sentiment, shift and agents (with links)."""
    store = get_store()
    if not store.db["batches"].count_where("id = ?", [batch_id]):
        raise not_found(f"no upload batch with id {batch_id!r}")
    batch = store.batch_documents(batch_id)
    _add_links(batch)
    return jsonify(batch)
