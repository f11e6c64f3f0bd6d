"""The export format of SPEC.md section 3, field for field."""

import csv
import io
import json

import pytest

from voc.export import DOCUMENT_CSV, DOCUMENT_FIELDS, SENTENCE_CSV, SENTENCE_FIELDS, write_records
from voc.records import NewDocument, Sentence, Utterance

SPEC_DOCUMENT_KEYS = ["id", "external_id", "kind", "source", "received_at", "title", "sentiment", "themes",
                      "broken_promises", "departments"]
SPEC_SENTENCE_KEYS = ["document_id", "external_id", "seq", "speaker", "role", "text", "sentiment", "theme",
                      "broken_promise", "promise_id", "departments"]


@pytest.fixture
def analysed(store):
    """A complaint and a call transcript with themes, a broken promise and routed insights."""
    complaint, _ = store.add_document(NewDocument(kind="complaint", source="c.csv", external_id="T-1",
                                                  text="x", received_at="2026-03-01T10:00:00+00:00", title="Refund"))
    call, _ = store.add_document(NewDocument(kind="transcript", source="call.txt", external_id="call.txt", utterances=(
        Utterance("Ann", "agent", "How can I help?"), Utterance("Bo", "customer", "My parcel is late."))))
    store.save_analysis(complaint, [Sentence(complaint, 0, "I was promised 5 business days.", "customer"),
                                    Sentence(complaint, 1, "It took three weeks.", "customer"),
                                    Sentence(complaint, 2, "And the parcel was late.", "customer")],
                        sentence_hashes=["h0", "h1", "h2"], segment_stage="test", pipeline={})
    store.save_analysis(call, [Sentence(call, 0, "How can I help?", "agent", "Ann", 0),
                               Sentence(call, 1, "My parcel is late.", "customer", "Bo", 1)],
                        sentence_hashes=["h3", "h4"], segment_stage="test", pipeline={})
    db = store.db
    with store.transaction():
        db["themes"].insert_all([{"id": "T1", "label": "refund delays", "status": "active"},
                                 {"id": "T2", "label": "late parcels", "status": "active"}])
        sid = {(r["document_id"], r["seq"]): r["id"] for r in db["sentences"].rows}
        for key, theme in {(complaint, 0): "T1", (complaint, 1): "T1", (complaint, 2): "T2",
                           (call, 0): "T1", (call, 1): "T2"}.items():
            db["sentences"].update(sid[key], {"theme_id": theme})
        db["sentences"].update(sid[(complaint, 1)], {"sentiment_label": "negative", "sentiment_score": -0.8})
        db["documents"].update(complaint, {"sentiment_label": "negative", "sentiment_score": -0.72})
        f1 = db["findings"].insert({"kind": "broken_promise", "document_id": complaint, "sentence_id": sid[(complaint, 0)],
                                    "promise_id": "refund-5-days", "evidence": "I was promised 5 business days.",
                                    "promised_value": "5 business days", "reported_value": "three weeks",
                                    "stage": "test", "created_at": "now"}).last_pk
        f2 = db["findings"].insert({"kind": "negative", "document_id": complaint, "sentence_id": sid[(complaint, 2)],
                                    "stage": "test", "created_at": "now"}).last_pk
        i1 = db["insights"].insert({"key": "a", "kind": "broken_promise", "title": "t", "status": "new",
                                    "department": "billing", "created_at": "now"}).last_pk
        i2 = db["insights"].insert({"key": "b", "kind": "complaint", "title": "t", "status": "new",
                                    "department": "logistics", "created_at": "now"}).last_pk
        db["insight_findings"].insert_all([{"insight_id": i1, "finding_id": f1}, {"insight_id": i2, "finding_id": f2}])
    return complaint, call


def test_export_document_fields_are_exactly_the_spec(store, analysed):
    complaint, call = analysed
    records = {r["id"]: r for r in store.document_records()}
    assert DOCUMENT_FIELDS == SPEC_DOCUMENT_KEYS
    for record in records.values():
        assert list(record) == SPEC_DOCUMENT_KEYS
    c = records[complaint]
    assert c["external_id"] == "T-1" and c["kind"] == "complaint" and c["source"] == "c.csv"
    assert c["received_at"] == "2026-03-01T10:00:00+00:00" and c["title"] == "Refund"
    assert c["sentiment"] == {"label": "negative", "score": -0.72}
    assert c["themes"] == [{"id": "T1", "label": "refund delays"}, {"id": "T2", "label": "late parcels"}]
    assert c["broken_promises"] == [{"promise_id": "refund-5-days", "promise": "Refunds are processed within 5 "
                                     "business days", "evidence": "I was promised 5 business days.",
                                     "promised_value": "5 business days", "reported_value": "three weeks"}]
    assert c["departments"] == ["billing", "logistics"]
    t = records[call]
    # transcripts describe the customer side only: the agent's T1 sentence does not count
    assert t["themes"] == [{"id": "T2", "label": "late parcels"}]
    assert t["sentiment"] is None and t["broken_promises"] == [] and t["departments"] == []


def test_export_sentence_fields_are_exactly_the_spec(store, analysed):
    complaint, call = analysed
    records = list(store.sentence_records())
    assert SENTENCE_FIELDS == SPEC_SENTENCE_KEYS
    assert all(list(r) == SPEC_SENTENCE_KEYS for r in records)
    first = records[0]
    assert first["document_id"] == complaint and first["external_id"] == "T-1" and first["seq"] == 0
    assert first["broken_promise"] is True and first["promise_id"] == "refund-5-days"
    assert first["theme"] == {"id": "T1", "label": "refund delays"} and first["departments"] == ["billing"]
    assert records[1]["sentiment"] == {"label": "negative", "score": -0.8}
    assert records[1]["broken_promise"] is False and records[1]["promise_id"] is None
    agent = [r for r in records if r["document_id"] == call][0]
    assert (agent["speaker"], agent["role"], agent["text"]) == ("Ann", "agent", "How can I help?")


def test_export_jsonl_round_trips(store, analysed):
    out = io.StringIO()
    n = write_records(store.document_records(), "documents", "jsonl", out)
    lines = out.getvalue().splitlines()
    assert n == len(lines) == 2
    assert [json.loads(line) for line in lines] == list(store.document_records())


def test_export_csv_flattens_lists_with_semicolons(store, analysed):
    complaint, _ = analysed
    out = io.StringIO()
    write_records(store.document_records(), "documents", "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == DOCUMENT_CSV
    c = next(r for r in rows if r["id"] == complaint)
    assert c["themes"] == "T1;T2" and c["theme_labels"] == "refund delays;late parcels"
    assert c["departments"] == "billing;logistics" and c["broken_promises"] == "refund-5-days"
    assert (c["sentiment_label"], c["sentiment_score"]) == ("negative", "-0.72")
    out = io.StringIO()
    write_records(store.sentence_records(), "sentences", "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == SENTENCE_CSV
    assert rows[0]["broken_promise"] == "true" and rows[0]["theme_label"] == "refund delays"


def test_export_streams_past_one_page(store):
    from voc.store import exports
    for i in range(exports.PAGE + 7):
        store.add_document(NewDocument(kind="note", source="s", text=f"n{i}", external_id=str(i)))
    assert len(list(store.document_records())) == exports.PAGE + 7
