"""Roles of SPEC.md section 5, key management over the API, and the audit log of writes."""

import pytest

from tests.api_seed import auth, make_key, seed

READ_PATHS = ["/api/v1/documents", "/api/v1/themes", "/api/v1/themes/T1", "/api/v1/promises",
              "/api/v1/promises/gaps", "/api/v1/departments", "/api/v1/departments/billing/insights",
              "/api/v1/search?q=refund&mode=keyword"]


@pytest.mark.parametrize("role", ["admin", "analyst", "marketing", "product", "contact_center"])
def test_api_auth_reading_roles_read_everything(app, client, store, role):
    seed(store)
    headers = auth(make_key(app, role))
    for path in READ_PATHS:
        assert client.get(path, headers=headers).status_code == 200, path


@pytest.mark.parametrize("role", ["analyst", "product", "contact_center", "marketing"])
def test_api_auth_non_admins_cannot_write_or_manage_keys(app, client, role):
    headers = auth(make_key(app, role))
    writes = [("post", "/api/v1/keys", {"name": "x", "role": "admin"}), ("get", "/api/v1/keys", None),
              ("delete", "/api/v1/keys/1", None)]
    if role != "contact_center":  # the contact center sends in transcripts and notes
        writes.append(("post", "/api/v1/documents", {"documents": [{"kind": "note", "text": "hi"}]}))
    for method, path, body in writes:
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden", (method, path)


def test_api_auth_promise_registry_is_kept_by_admin_and_marketing(app, client, store):
    analyst, marketing = auth(make_key(app, "analyst")), auth(make_key(app, "marketing", name="brand team"))
    new = {"id": "delivery-48h", "text": "Delivered within 48 hours", "department": "logistics", "target": "48 hours"}
    assert client.post("/api/v1/promises", json=new, headers=analyst).status_code == 403
    created = client.post("/api/v1/promises", json=new, headers=marketing)
    assert created.status_code == 201 and created.json["source"] == "api"
    assert client.post("/api/v1/promises", json=new, headers=marketing).status_code == 409
    changed = client.patch("/api/v1/promises/delivery-48h", json={"target": "2 days"}, headers=marketing)
    assert changed.status_code == 200 and changed.json["target"] == "2 days"
    assert client.patch("/api/v1/promises/delivery-48h", json={"department": "nowhere"},
                        headers=marketing).status_code == 422
    assert client.patch("/api/v1/promises/delivery-48h", json={"id": "other"}, headers=marketing).status_code == 422
    assert client.post("/api/v1/promises", json={"id": "Bad Id!", "text": "x"}, headers=marketing).status_code == 422
    assert client.delete("/api/v1/promises/delivery-48h", headers=marketing).status_code == 204
    assert client.get("/api/v1/promises/delivery-48h", headers=analyst).status_code == 404
    assert [p["id"] for p in client.get("/api/v1/promises", headers=analyst).json["items"]] == ["refund-5-days"]
    audit = [(r["actor"], r["action"]) for r in store.db.query(
        "select actor, action from audit_log where action like 'promise.%' order by id")]
    assert audit == [("brand team", "promise.create"), ("brand team", "promise.update"),
                     ("brand team", "promise.delete")]


def test_api_auth_admin_manages_keys_over_the_api(app, client, store):
    admin = auth(make_key(app, "admin", name="root"))
    created = client.post("/api/v1/keys", json={"name": "billing inbox", "role": "department",
                                                "department": "billing"}, headers=admin)
    assert created.status_code == 201
    key, key_id = created.json["key"], created.json["id"]
    assert key.startswith("voc_") and created.json["prefix"] == key[:8]
    billing = auth(key)
    assert client.get("/api/v1/departments/billing/insights", headers=billing).status_code == 200
    listed = client.get("/api/v1/keys", headers=admin).json["items"]
    assert {k["name"] for k in listed} == {"root", "billing inbox"} and all("key" not in k for k in listed)
    assert client.post("/api/v1/keys", json={"name": "x", "role": "department"}, headers=admin).status_code == 422
    assert client.post("/api/v1/keys", json={"name": "x", "role": "wizard"}, headers=admin).status_code == 422
    assert client.post("/api/v1/keys", json={"role": "admin"}, headers=admin).status_code == 422
    revoked = client.delete(f"/api/v1/keys/{key_id}", headers=admin)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    gone = client.get("/api/v1/departments/billing/insights", headers=billing)
    assert gone.status_code == 401 and gone.json["error"]["code"] == "unauthorized"
    assert client.delete("/api/v1/keys/99999", headers=admin).status_code == 404
    audit = [(r["actor"], r["action"], r["target"]) for r in store.db.query(
        "select actor, action, target from audit_log where action like 'api_key.%' order by id")]
    assert audit[-2:] == [("root", "api_key.create", "billing inbox"), ("root", "api_key.revoke", "billing inbox")]


def test_api_auth_read_only_paths_never_import_models(tmp_path, config_file):
    """Reading (search included, while no embedding exists) must not pay for torch or the models."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    script = f"""
import sys
from voc.config import VocConfig
from api import create_app
from tests.api_seed import auth, make_key, seed
app = create_app(VocConfig.load({str(config_file)!r}, db={str(tmp_path / 'ro.db')!r}, env={{}}), {{"TESTING": True}})
store = app.extensions["voc"].open_store(); seed(store); store.close()
client, headers = app.test_client(), auth(make_key(app, "analyst"))
for path in {READ_PATHS + ['/api/v1/search?q=refund', '/api/v1/openapi.json', '/healthz']!r}:
    assert client.get(path, headers=headers).status_code == 200, path
heavy = sorted(m for m in ("torch", "sentence_transformers", "bertopic", "spacy", "sklearn") if m in sys.modules)
print("heavy:", heavy)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "heavy: []" in out.stdout
