"""The upload page: files in through the session (script and plain form), per-file results,
quarantine, the job's progress as JSON, rights and CSRF; the job is run by hand (no worker in tests)."""

from __future__ import annotations

import io

import pytest

from tests.api_seed import auth, make_key
from tests.web_seed import sign_in
from voc.records import Sentence
from voc.store.documents import text_hash
from voc.worker import Worker

CALL = (b"Northwind call\nDate: 2026-05-04\n\nAgent (Zoe): Thanks for calling, Zoe speaking.\n"
        b"Customer: My parcel is a week late and nobody answers.\n"
        b"Agent (Zoe): I'm sorry. I'll call you back tomorrow once the courier answers.\n"
        b"Customer: Thank you, that helps.\n")
JSON = {"Accept": "application/json"}


def _files(*named):
    return [(io.BytesIO(content), name) for name, content in named]


def _post(client, token, files, headers=JSON, **form):
    data = {"file": _files(*files), **form}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/upload", data=data, headers=headers, content_type="multipart/form-data")


def _fake_analysis(store, config, payload, progress):
    """What a job does, without the models: each pending document analysed, with a sentiment arc."""
    docs = store.pending_documents(100)
    for i, doc in enumerate(docs):
        turns = doc.utterances or ()
        sentences = [Sentence(doc.id, j, u.text, u.role, u.speaker, utterance_seq=j) for j, u in enumerate(turns)]
        store.save_analysis(doc.id, sentences, sentence_hashes=[text_hash(s.text) for s in sentences],
                            segment_stage="test", pipeline={"test": "1"},
                            sentiment_arc={"start": -0.6, "end": 0.4, "shift": 1.0} if turns else None)
        progress(i + 1, len(docs))
    return {"analysed": len(docs), "summary": f"analysed {len(docs)} documents"}


def test_web_upload_page_has_labelled_inputs_and_an_empty_state(app, client):
    sign_in(app, client, "contact_center")
    page = client.get("/upload").data.decode()
    assert '<label for="upload-files">' in page and 'id="upload-files" name="file" multiple' in page
    assert '<label for="upload-kind">' in page and '<option value="transcript">' in page
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert "Nothing uploaded yet" in page and "voc ingest calls/" in page
    assert 'id="job-progress"' in page and 'id="upload-file-results"' in page and "upload.js" in page


def test_web_upload_a_transcript_and_a_bad_file_then_follow_the_job(app, client, config):
    token = sign_in(app, client, "contact_center", name="cc-desk")
    response = _post(client, token, [("call.txt", CALL), ("photo.png", b"\x89PNG...."), ("empty.txt", b"")])
    assert response.status_code == 202
    result = response.json
    assert result["accepted"] == 1 and result["job_id"].startswith("j_")
    files = {f["file"]: f for f in result["files"]}
    assert files["call.txt"]["status"] == "ingested" and files["call.txt"]["kind"] == "transcript"
    assert files["photo.png"]["status"] == "rejected" and "unsupported file type '.png'" in files["photo.png"]["error"]
    assert files["empty.txt"]["error"] == "empty file"
    assert {r["file"] for r in result["rejected"]} == {"photo.png", "empty.txt"}
    assert any(config.quarantine_dir.glob("*-photo.png")) and any(config.quarantine_dir.glob("*-empty.txt"))
    store = app.extensions["voc"].open_store()
    reasons = [r["reason"] for r in store.db.query("select reason from quarantine where batch_id = ?",
                                                   [result["batch_id"]])]
    assert len(reasons) == 2 and "empty file" in reasons
    assert store.db["audit_log"].count_where("actor = 'cc-desk' and action = 'upload'") == 1

    job_url = f"/jobs/{result['job_id']}.json"
    assert client.get(job_url).json["status"] == "queued"
    claimed = store.claim_job()
    store.job_progress(claimed["id"], done=1, total=2)
    job = client.get(job_url).json
    assert job["status"] == "running" and job["progress"] == 0.5 and (job["done"], job["total"]) == (1, 2)
    store.release_job(claimed["id"])
    store.close()

    assert Worker(config, handlers={"analyze": _fake_analysis}).run_pending() == 1
    job = client.get(job_url).json
    assert job["status"] == "done" and job["progress"] == 1.0 and job["result"]["analysed"] == 1
    batch = client.get(f"/upload/batches/{result['batch_id']}.json").json
    assert batch["pending"] == 0 and len(batch["documents"]) == 1
    doc = batch["documents"][0]
    assert doc["status"] == "analysed" and doc["agents"] == ["Zoe"] and doc["sentiment_shift"] == 1.0
    assert doc["links"] == [{"label": "Zoe", "href": f"/agents/Zoe#{doc['id']}"}]
    agents = client.get("/agents.json").json["items"]
    assert [(a["name"], a["conversations"], a["shift_mean"]) for a in agents] == [("Zoe", 1, 1.0)]


def test_web_upload_the_same_file_again_is_a_duplicate(app, client):
    token = sign_in(app, client, "contact_center")
    assert _post(client, token, [("call.txt", CALL)]).json["accepted"] == 1
    again = _post(client, token, [("copy.txt", CALL)]).json
    assert again["accepted"] == 0 and again["files"][0]["status"] == "duplicate"
    assert "already ingested" in again["files"][0]["error"]


def test_web_upload_works_as_a_plain_form_without_script(app, client, config):
    token = sign_in(app, client, "admin")
    response = _post(client, token, [("call.txt", CALL), ("photo.png", b"\x89PNG")], headers={}, kind="transcript")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.data.decode()
    results = page.split('id="upload-file-results"')[1].split("</ul>")[0]
    assert 'data-status="ingested"' in results and "1 document (transcript)" in results
    assert 'data-status="rejected"' in results and "unsupported file type" in results
    assert "kept in quarantine" in results
    assert 'data-job-id="j_' in page and "Queued: waiting for the analysis worker." in page
    job_id = page.split('data-job-id="')[1].split('"')[0]
    batch_id = page.split('data-batch-id="')[1].split('"')[0]
    assert f"/upload?job={job_id}&amp;batch={batch_id}" in page  # the no-script way to look again
    again = client.get(f"/upload?job={job_id}&batch={batch_id}").data.decode()
    assert "Queued: waiting for the analysis worker." in again
    assert Worker(config, handlers={"analyze": _fake_analysis}).run_pending() == 1
    done = client.get(f"/upload?job={job_id}&batch={batch_id}").data.decode()
    assert "Done: 1 document analysed." in done and "Analysed documents" in done
    assert "customer -0.60 → 0.40 (+1.00)" in done and '<a href="/agents/Zoe#d_' in done


def test_web_upload_errors_show_on_the_page_or_as_json(app, client):
    token = sign_in(app, client, "contact_center")
    empty = client.post("/upload", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 422 and b'id="upload-error"' in empty.data and b"no `file` part" in empty.data
    only_bad = _post(client, token, [("photo.png", b"\x89PNG")])
    assert only_bad.status_code == 415 and only_bad.json["error"]["code"] == "unsupported_media_type"
    bad_kind = _post(client, token, [("a.txt", b"hello")], kind="tweet")
    assert bad_kind.status_code == 422 and "`kind` must be one of" in bad_kind.json["error"]["message"]
    assert client.get("/jobs/j_nope.json").status_code == 404
    assert client.get("/upload/batches/b_nope.json").json["error"]["code"] == "not_found"


def test_web_upload_needs_the_csrf_token(app, client):
    token = sign_in(app, client, "contact_center")
    assert _post(client, None, [("call.txt", CALL)]).status_code == 400
    wrong = _post(client, "not-the-token", [("call.txt", CALL)])
    assert wrong.status_code == 400 and wrong.json["error"]["code"] == "bad_request"
    header = client.post("/upload", data={"file": _files(("call.txt", CALL))}, content_type="multipart/form-data",
                         headers={**JSON, "X-CSRF-Token": token})
    assert header.status_code == 202
    store = app.extensions["voc"].open_store()
    assert store.db["documents"].count == 1  # only the request with the token stored anything
    store.close()


@pytest.mark.parametrize("role", ["product", "analyst", "marketing"])
def test_web_upload_is_for_the_contact_center_and_admin(app, client, role):
    token = sign_in(app, client, role)
    assert client.get("/upload").status_code == 403
    refused = _post(client, token, [("call.txt", CALL)])
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert client.get("/jobs/j_nope.json").status_code == 404  # readers may follow jobs
    anonymous = app.test_client()
    assert anonymous.get("/jobs/j_nope.json").status_code == 401
    assert anonymous.get("/upload").status_code == 302


def test_web_upload_contact_center_keys_may_use_the_json_api(app, client):
    cc = auth(make_key(app, "contact_center", name="cc-bot"))
    posted = client.post("/api/v1/uploads", headers=cc, data={"file": _files(("call.txt", CALL))},
                         content_type="multipart/form-data")
    assert posted.status_code == 202 and posted.json["accepted"] == 1
    docs = client.post("/api/v1/documents", headers=cc, json={"documents": [{"kind": "note", "text": "hi"}]})
    assert docs.status_code == 202
    product = auth(make_key(app, "product", name="pm"))
    assert client.post("/api/v1/documents", headers=product,
                       json={"documents": [{"kind": "note", "text": "hi"}]}).status_code == 403


@pytest.mark.slow
def test_web_upload_a_transcript_is_analysed_for_real(app, client, config):
    """The real analysis (spaCy, MiniLM, the sentiment and promise heads) on an uploaded call."""
    token = sign_in(app, client, "contact_center")
    result = _post(client, token, [("call.txt", CALL)]).json
    assert Worker(config).run_pending() == 1
    job = client.get(f"/jobs/{result['job_id']}.json").json
    assert job["status"] == "done", job["error"]
    doc = client.get(f"/upload/batches/{result['batch_id']}.json").json["documents"][0]
    assert doc["status"] == "analysed" and doc["agents"] == ["Zoe"] and doc["sentiment_shift"] is not None
    zoe = client.get("/agents/Zoe.json").json
    assert zoe["analysed"] == 1 and zoe["shift_mean"] > 0  # late parcel at the start, thanks at the end
    assert zoe["commitments"] >= 1  # "I'll call you back tomorrow once the courier answers."
