"""POST /api/v1/documents, POST /api/v1/uploads and GET /api/v1/jobs/{id}."""

import io

import pytest

from tests.api_seed import auth, make_key


@pytest.fixture
def admin(app):
    return auth(make_key(app, "admin", name="ops admin"))


def _upload(client, headers, files, **form):
    data = {"file": [(io.BytesIO(content), name) for name, content in files], **form}
    return client.post("/api/v1/uploads", data=data, headers=headers, content_type="multipart/form-data")


def test_api_intake_post_documents_202_with_ids_and_job(client, store, admin):
    body = {"documents": [
        {"kind": "complaint", "text": "Charged twice, write to me at jo@example.com", "external_id": "n-1",
         "received_at": "2026-03-01T10:00:00Z", "metadata": {"channel": "web"}},
        {"kind": "transcript", "external_id": "call-7", "utterances": [
            {"speaker": "Dana", "role": "agent", "text": "Thanks for calling."},
            {"speaker": "Sam", "role": "customer", "text": "My parcel never came."}]},
    ]}
    response = client.post("/api/v1/documents", json=body, headers=admin)
    assert response.status_code == 202
    ids, job_id = response.json["ids"], response.json["job_id"]
    assert len(ids) == 2 and response.json["duplicates"] == []
    stored = store.get_document(ids[0])
    assert stored.text == "Charged twice, write to me at [EMAIL]"  # redacted before storage
    assert stored.received_at == "2026-03-01T10:00:00+00:00" and stored.metadata == {"channel": "web"}
    assert [u.role for u in store.get_document(ids[1]).utterances] == ["agent", "customer"]
    job = client.get(f"/api/v1/jobs/{job_id}", headers=admin).json
    assert job["status"] == "queued" and job["progress"] == 0 and job["error"] is None
    again = client.post("/api/v1/documents", json=body, headers=admin).json
    assert again["ids"] == ids and again["duplicates"] == ids and again["created"] == 0
    assert again["job_id"] == job_id  # the queued analysis covers them all
    audit = list(store.db.query("select actor, action from audit_log where action = 'documents.create'"))
    assert audit == [{"actor": "ops admin", "action": "documents.create"}] * 2


@pytest.mark.parametrize("body, status, fragment", [
    ({}, 422, "documents"),
    ({"documents": []}, 422, "non-empty list"),
    ({"documents": [{"text": "no kind"}]}, 422, "documents[0].kind"),
    ({"documents": [{"kind": "complaint"}]}, 422, "text or utterances"),
    ({"documents": [{"kind": "complaint", "text": 42}]}, 422, "documents[0].text"),
    ({"documents": [{"kind": "note", "text": "ok"}, {"kind": "note", "text": "x", "received_at": "soon-ish"}]},
     422, "documents[1].received_at"),
    ({"documents": [{"kind": "note", "utterances": [{"role": "boss", "text": "hi"}]}]}, 422, "role"),
    ({"documents": [{"kind": "note", "text": "hi", "colour": "red"}]}, 422, "colour"),
    ({"documents": [{"kind": "note", "text": "x"}] * 1001}, 422, "at most 1000"),
])
def test_api_intake_post_documents_rejects_bad_input_whole(client, store, admin, body, status, fragment):
    response = client.post("/api/v1/documents", json=body, headers=admin)
    assert response.status_code == status and fragment in response.json["error"]["message"]
    assert store.db["documents"].count == 0  # all or nothing


def test_api_intake_post_documents_needs_json_and_admin(app, client, admin):
    assert client.post("/api/v1/documents", data="kind=note", headers=admin).status_code == 415
    assert client.post("/api/v1/documents", data="{not json", headers={**admin, "Content-Type": "application/json"}
                       ).status_code == 400
    analyst = auth(make_key(app, "analyst"))
    response = client.post("/api/v1/documents", json={"documents": [{"kind": "note", "text": "hi"}]}, headers=analyst)
    assert response.status_code == 403
    assert client.post("/api/v1/documents", json={"documents": []}).status_code == 401


def test_api_intake_upload_per_file_results(client, store, admin, config):
    csv = b"id,comment,date\n1,Refund never arrived,2026-03-01\n2,,2026-03-02\n3,Great service,2026-03-03\n"
    response = _upload(client, admin, [("complaints.csv", csv), ("empty.txt", b""),
                                       ("note.txt", b"The courier left my parcel in the rain.")], kind="complaint")
    assert response.status_code == 202
    result = response.json
    assert result["accepted"] == 3 and result["duplicates"] == 0 and result["job_id"].startswith("j_")
    assert {r["file"] for r in result["rejected"]} == {"complaints.csv", "empty.txt"}
    assert next(r for r in result["rejected"] if r["file"] == "empty.txt")["error"] == "empty file"
    assert [f["status"] for f in result["files"]] == ["partial", "rejected", "ingested"]
    assert {d.kind for d in store.pending_documents(10)} == {"complaint"}
    assert any(config.quarantine_dir.glob("*empty.txt"))  # the rejected file is kept
    assert not any(p for p in (config.db_path.parent / "voc.db.spool").rglob("*") if p.is_file())
    again = _upload(client, admin, [("complaints.csv", csv)]).json
    assert again["accepted"] == 0 and again["duplicates"] == 2


def test_api_intake_upload_limits_and_types(app, config, tmp_path, admin):
    from api import create_app
    small = create_app(config, {"TESTING": True, "MAX_CONTENT_LENGTH": 1024 * 1024})
    client = small.test_client()
    big = _upload(client, admin, [("big.csv", b"id,text\n" + b"1,aaaa\n" * 200_000)])
    assert big.status_code == 413 and "1 MB" in big.json["error"]["message"]
    assert _upload(client, admin, [("photo.png", b"\x89PNG....")]).status_code == 415
    assert client.post("/api/v1/uploads", data={"kind": "note"}, headers=admin,
                       content_type="multipart/form-data").status_code == 422
    assert _upload(client, admin, [("a.txt", b"hi")], kind="tweet").status_code == 422
    assert client.post("/api/v1/uploads", json={"file": "x"}, headers=admin).status_code == 415


def test_api_intake_job_not_found(client, admin):
    response = client.get("/api/v1/jobs/j_nope", headers=admin)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
