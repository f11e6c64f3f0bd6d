import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT
from voc.records import NewDocument


def _key(app, role="analyst", department=None):
    store = app.extensions["voc"].open_store()
    try:
        return store.create_api_key(name=f"{role}-test", role=role, department=department)
    finally:
        store.close()


def test_api_healthz_needs_no_key(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"


@pytest.mark.parametrize("headers, status, code", [
    ({}, 401, "unauthorized"),
    ({"Authorization": "Bearer voc_not_a_key"}, 401, "unauthorized"),
    ({"Authorization": "Basic abc"}, 401, "unauthorized"),
])
def test_api_rejects_missing_or_bad_keys(client, headers, status, code):
    response = client.get("/api/v1/documents/d_x", headers=headers)
    assert response.status_code == status
    assert response.json == {"error": {"code": code, "message": response.json["error"]["message"]}}


def test_api_department_key_is_forbidden_from_documents(app, client):
    key = _key(app, "department", "billing")
    response = client.get("/api/v1/documents/d_x", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_api_document_record_with_sentences(app, client, store):
    doc_id, _ = store.add_document(NewDocument(kind="complaint", source="s", text="Late again.", external_id="x1"))
    key = _key(app)
    response = client.get(f"/api/v1/documents/{doc_id}", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.json["external_id"] == "x1" and response.json["sentences"] == []
    missing = client.get("/api/v1/documents/d_nope", headers={"Authorization": f"Bearer {key}"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/nothing-here"), ("POST", "/healthz"),
                                          ("DELETE", "/api/v1/documents/x")])
def test_api_errors_are_json_never_html(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code in (401, 404, 405)
    assert response.is_json and set(response.json["error"]) == {"code", "message"}


def test_api_overview_page_renders_with_an_empty_database(app, client):
    from tests.web_seed import sign_in
    sign_in(app, client, "analyst")
    page = client.get("/")
    assert page.status_code == 200 and b"No customer feedback yet" in page.data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_api_served_by_waitress(tmp_path):
    """`voc serve` runs a real WSGI server."""
    port = _free_port()
    env = {"VOC_DB": str(tmp_path / "served.db"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-m", "voc.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.headers["Server"] == "voc"
                    assert json.load(r)["status"] == "ok"
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.time() < deadline and proc.poll() is None, proc.stderr.read()
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/documents/x", timeout=5)
        assert err.value.code == 401 and json.load(err.value)["error"]["code"] == "unauthorized"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
