"""The sample corpora in corpora/: every file goes in, speakers get the right roles, nothing goes in twice.

Fast (no models): it only ingests. The expected figures are the ones the data card (corpora/README.md)
states, so a file added to or broken in corpora/ shows up here.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from tests.conftest import ROOT

CORPORA = ROOT / "corpora"
AGENTS = {"dana", "marcus", "priya", "tom", "lena", "sofia"}

pytestmark = pytest.mark.skipif(not (CORPORA / "complaints.csv").exists(), reason="corpora/ is not there")


@pytest.fixture
def ingested(store, config):
    from voc.ingest import Ingestor
    summary = Ingestor(store, config).ingest([CORPORA], source="corpora")
    return store, summary


def _rows(store, sql: str, params: tuple = ()) -> list[dict]:
    cursor = store.conn.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _speakers(store, kind: str) -> dict[str, dict[str, set[str]]]:
    """{external_id: {role: {speaker, ...}}} for the documents of ``kind``."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in _rows(store, "select d.external_id, u.speaker, u.role from utterances u "
                            "join documents d on d.id = u.document_id where d.kind = ?", (kind,)):
        out[row["external_id"]][row["role"]].add(row["speaker"])
    return out


def test_every_file_is_ingested_and_nothing_rejected(ingested):
    store, summary = ingested
    assert summary.rejected == 0, [(f.path, f.reason, f.problems) for f in summary.files if f.rejected]
    assert all(f.status == "ingested" and f.ingested >= 1 for f in summary.files)
    data_files = sorted(str(p) for p in CORPORA.rglob("*") if p.is_file() and p.suffix in
                        {".csv", ".jsonl", ".json", ".txt", ".vtt", ".srt", ".eml", ".mbox"})
    assert sorted(f.path for f in summary.files) == data_files
    assert store.conn.execute("select count(*) from quarantine").fetchone()[0] == 0
    kinds = Counter(r["kind"] for r in _rows(store, "select kind from documents"))
    assert kinds["complaint"] == 300 and kinds["survey"] == 100 and kinds["review"] == 80


def test_focus_groups_have_a_moderator_and_participants(ingested):
    store, _ = ingested
    groups = _speakers(store, "focus_group")
    assert len(groups) >= 6
    for name, roles in groups.items():
        assert len(roles["moderator"]) == 1, (name, dict(roles))
        assert len(roles["participant"]) >= 4, (name, dict(roles))
        assert set(roles) == {"moderator", "participant"}, (name, dict(roles))
    for name, roles in _speakers(store, "interview").items():
        assert set(roles) == {"moderator", "participant"}, (name, dict(roles))
    turns = [r["n"] for r in _rows(store, "select count(*) n from utterances u join documents d "
                                          "on d.id = u.document_id where d.kind = 'focus_group' group by d.id")]
    assert min(turns) >= 25 and max(turns) <= 60


def test_emails_auto_replies_and_bounces_are_not_voice(ingested):
    store, _ = ingested
    emails = _rows(store, "select title, text, doc_type from documents where kind = 'email'")
    assert len(emails) >= 60
    machine = [e for e in emails if e["title"].lower().startswith(
        ("automatic reply", "out of office", "undelivered mail", "delivery status notification"))]
    assert len(machine) >= 4 and all(e["doc_type"] in ("auto_reply", "bounce") for e in machine)
    assert Counter(e["doc_type"] for e in emails) == {"voice": len(emails) - len(machine),
                                                      "auto_reply": 3, "bounce": 2}
    for e in emails:
        if e["doc_type"] == "voice":  # quoted Northwind replies and signatures are gone from the customer's words
            assert not any(s in e["text"] for s in ("wrote:", "Original Message", "From: Northwind", "\n> ",
                                                    "Northwind Mobile Support Team", "\n-- ", "Sent from my")), e


def test_calls_and_chats_have_a_named_agent_and_a_customer(ingested):
    store, _ = ingested
    calls = _speakers(store, "transcript")
    assert len(calls) >= 40
    for name, roles in calls.items():
        assert set(roles) == {"agent", "customer"}, (name, dict(roles))
        (agent,) = roles["agent"]
        assert any(a in agent.casefold() for a in AGENTS), (name, agent)
    formats = Counter(json.loads(r["metadata"])["format"]
                      for r in _rows(store, "select metadata from documents where kind = 'transcript'"))
    assert len(formats) >= 4, formats


def test_ingesting_again_adds_nothing(ingested, config):
    from voc.ingest import Ingestor
    store, first = ingested
    before = store.conn.execute("select count(*) from documents").fetchone()[0]
    again = Ingestor(store, config).ingest([CORPORA], source="corpora")
    assert again.ingested == 0 and again.rejected == 0 and again.duplicates == first.ingested == before
    assert store.conn.execute("select count(*) from documents").fetchone()[0] == before
