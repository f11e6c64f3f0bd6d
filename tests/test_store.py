import multiprocessing
import sqlite3
import threading

import pytest

from voc.errors import InputError, NotFound, StoreError
from voc.records import NewDocument, Utterance
from voc.store import VocStore, migrations


def _doc(i: int, **kw) -> NewDocument:
    return NewDocument(kind=kw.pop("kind", "complaint"), source="test", text=f"complaint number {i}",
                       external_id=str(i), **kw)


def test_store_runs_in_wal_mode_with_foreign_keys(store):
    assert store.db.journal_mode == "wal"
    assert store.conn.execute("pragma foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction():
            store.conn.execute("insert into utterances (document_id, seq, role, text) values ('nope', 0, 'agent', 'x')")


def test_store_has_the_tables_the_mission_needs(store):
    tables = set(store.db.table_names())
    assert {"documents", "utterances", "sentences", "embeddings", "themes", "theme_lineage", "promises",
            "findings", "departments", "insights", "insight_events", "insight_findings", "jobs", "api_keys",
            "audit_log", "quarantine", "batches", "ingest_files", "sentences_fts", "schema_migrations"} <= tables


def test_store_migrations_rerun_is_a_noop(tmp_path):
    path = tmp_path / "m.db"
    with VocStore(path) as first:
        assert first.schema_version() == migrations.latest_version()
        schema = first.db.schema
    with VocStore(path) as second:
        assert second.migrate() == []
        assert second.db.schema == schema
        assert second.db["schema_migrations"].count == len(migrations.MIGRATIONS)


def test_store_migrates_an_older_database_forward(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with VocStore(path) as old:
        old.add_document(_doc(1))

    def add_column(db):
        db["documents"].add_column("language", str)

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (999, "language column", add_column)])
    with VocStore(path) as new:
        assert new.schema_version() == 999
        assert "language" in new.db["documents"].columns_dict
        assert new.db["documents"].count == 1  # data survives
    with VocStore(path) as again:
        assert again.migrate() == []


def test_store_failed_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    VocStore(path).close()

    def half_done(db):
        db["new_table"].create({"id": int}, pk="id")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (999, "broken", half_done)])
    with pytest.raises(RuntimeError):
        VocStore(path)
    monkeypatch.undo()
    with VocStore(path) as store:
        assert "new_table" not in store.db.table_names()
        assert store.schema_version() == migrations.latest_version()


def test_store_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "new.db"
    with VocStore(path) as store:
        store.db["schema_migrations"].insert({"version": 10_000, "name": "future", "applied_at": "2030"})
    with pytest.raises(StoreError, match="upgrade voc"):
        VocStore(path)


def test_store_refuses_a_folder_or_garbage(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        VocStore(tmp_path)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        VocStore(garbage)


def test_store_crash_never_leaves_half_a_document(store, monkeypatch):
    doc = _doc(1, kind="transcript", utterances=(Utterance("Ann", "agent", "Hello"), Utterance("Bo", "customer", "Hi")))
    original = store.db["utterances"].insert_all

    def crash(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(type(store.db["utterances"]), "insert_all", crash)
    with pytest.raises(OSError):
        store.add_document(doc)
    monkeypatch.undo()
    assert store.db["documents"].count == 0
    assert original  # the real method is back
    doc_id, created = store.add_document(doc)
    assert created and store.db["utterances"].count == 2
    assert [u.speaker for u in store.get_document(doc_id).utterances] == ["Ann", "Bo"]


def test_store_same_kind_and_external_id_is_a_duplicate(store):
    first, created = store.add_document(_doc(7))
    again, created_again = store.add_document(_doc(7))
    assert created and not created_again and first == again
    _, other_kind = store.add_document(_doc(7, kind="survey"))
    assert other_kind
    assert store.db["documents"].count == 2


def _write_many(path: str, worker: int, n: int, errors) -> None:
    try:
        with VocStore(path) as s:
            for i in range(n):
                s.add_document(NewDocument(kind="complaint", source=f"w{worker}", text=f"w{worker} doc {i}",
                                           external_id=f"{worker}-{i}"))
    except Exception as exc:  # pragma: no cover - reported by the test
        errors.append(repr(exc))


def test_store_concurrent_threads_lose_no_rows(tmp_path):
    path = str(tmp_path / "threads.db")
    VocStore(path).close()
    errors: list[str] = []
    threads = [threading.Thread(target=_write_many, args=(path, w, 150, errors)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with VocStore(path) as s:
        assert s.db["documents"].count == 8 * 150


def _process_writer(args):
    path, worker, n = args
    errors: list[str] = []
    _write_many(path, worker, n, errors)
    return errors


def test_store_concurrent_processes_lose_no_rows(tmp_path):
    path = str(tmp_path / "procs.db")  # created by the workers themselves: migrations race too
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_process_writer, [(path, w, 200) for w in range(4)])
    assert [e for r in results for e in r] == []
    with VocStore(path) as s:
        assert s.db["documents"].count == 800
        assert s.db["schema_migrations"].count == len(migrations.MIGRATIONS)


def test_store_full_text_search_over_sentences(store):
    from voc.records import Sentence
    doc_id, _ = store.add_document(_doc(1))
    sentences = [Sentence(doc_id, 0, "My refunds never arrived.", "customer"),
                 Sentence(doc_id, 1, "The courier was friendly.", "customer")]
    store.save_analysis(doc_id, sentences, sentence_hashes=["a", "b"], segment_stage="test", pipeline={})
    hits = store.search_sentences("refund")  # porter stemming: refund matches refunds
    assert [h["text"] for h in hits] == ["My refunds never arrived."]
    store.save_analysis(doc_id, sentences[1:], sentence_hashes=["b"], segment_stage="test", pipeline={})
    assert store.search_sentences("refund") == []  # the index follows deletes
    assert store.search_sentences('"unbalanced') == []  # user input is quoted, never an FTS syntax error


def test_store_api_keys_are_stored_hashed_and_revocable(store):
    key = store.create_api_key(name="ops", role="admin")
    assert key.startswith("voc_")
    dump = "\n".join(store.db.iterdump())
    assert key not in dump
    assert store.verify_api_key(key)["role"] == "admin"
    assert store.verify_api_key(key + "x") is None
    store.revoke_api_key("ops")
    assert store.verify_api_key(key) is None
    assert [r["action"] for r in store.db.query("select action from audit_log order by id")] == [
        "api_key.create", "api_key.revoke"]
    with pytest.raises(NotFound):
        store.revoke_api_key("ops")


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "x", "role": "root"}, "unknown role"),
    ({"name": "x", "role": "department"}, "needs --department"),
    ({"name": "x", "role": "analyst", "department": "billing"}, "only department keys"),
    ({"name": "x", "role": "department", "department": "finance"}, "no department named 'finance'"),
    ({"name": " ", "role": "admin"}, "needs a --name"),
])
def test_store_api_key_checks(store, kwargs, message):
    with pytest.raises(InputError, match=message):
        store.create_api_key(**kwargs)


def test_store_sync_config_mirrors_departments_and_promises(store, config, tmp_path):
    assert {r["name"] for r in store.db["departments"].rows} == {"billing", "logistics"}
    assert store.db["promises"].get("refund-5-days")["department"] == "billing"
    from voc.config import VocConfig
    store.sync_config(VocConfig(db_path=config.db_path, departments=config.departments))
    assert store.db["promises"].get("refund-5-days")["deleted_at"] is not None
    store.sync_config(config)
    assert store.db["promises"].get("refund-5-days")["deleted_at"] is None
