"""Versioned schema migrations.

Each migration is a function of a :class:`sqlite_utils.Database` registered with a version number
and a name. :func:`migrate` applies the missing ones in order, each inside the caller's write
transaction, and records it in ``schema_migrations``; re-running is a no-op. Migrations are never
edited once released: a change to the schema is a new migration.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []


def migration(version: int, name: str) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        if any(v == version for v, _, _ in MIGRATIONS):
            raise RuntimeError(f"two migrations with version {version}")
        MIGRATIONS.append((version, name, fn))
        MIGRATIONS.sort(key=lambda m: m[0])
        return fn
    return register


def latest_version() -> int:
    return MIGRATIONS[-1][0] if MIGRATIONS else 0


def applied_versions(db: sqlite_utils.Database) -> set[int]:
    if not db["schema_migrations"].exists():
        return set()
    return {row["version"] for row in db.query("select version from schema_migrations")}


def migrate(db: sqlite_utils.Database, *, target: int | None = None) -> list[int]:
    """Apply every migration not yet applied (up to ``target``); return the versions applied.

    The caller holds the write transaction, so a failing migration leaves nothing behind.
    """
    db["schema_migrations"].create({"version": int, "name": str, "applied_at": str}, pk="version",
                                   if_not_exists=True)
    done = applied_versions(db)
    applied = []
    for version, name, fn in MIGRATIONS:
        if version in done or (target is not None and version > target):
            continue
        fn(db)
        db["schema_migrations"].insert({"version": version, "name": name,
                                        "applied_at": dt.datetime.now(dt.timezone.utc).isoformat()})
        applied.append(version)
    return applied


def _fts(db: sqlite_utils.Database, table: str, column: str) -> None:
    """FTS5 index over ``table.column`` kept current by triggers.

    Written out rather than with ``Table.enable_fts`` because that runs ``executescript``, which
    commits, and a migration must stay inside its transaction.
    """
    fts = f"{table}_fts"
    db.execute(f"create virtual table [{fts}] using fts5 ([{column}], content=[{table}], "
               "tokenize='porter unicode61')")
    db.execute(f"create trigger [{table}_ai] after insert on [{table}] begin "
               f"insert into [{fts}] (rowid, [{column}]) values (new.rowid, new.[{column}]); end")
    db.execute(f"create trigger [{table}_ad] after delete on [{table}] begin "
               f"insert into [{fts}] ([{fts}], rowid, [{column}]) values ('delete', old.rowid, old.[{column}]); end")
    db.execute(f"create trigger [{table}_au] after update on [{table}] begin "
               f"insert into [{fts}] ([{fts}], rowid, [{column}]) values ('delete', old.rowid, old.[{column}]); "
               f"insert into [{fts}] (rowid, [{column}]) values (new.rowid, new.[{column}]); end")


@migration(1, "initial schema")
def _initial(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")

    # ingestion
    db["batches"].create({"id": str, "source": str, "started_at": str, "finished_at": str,
                          "ingested": int, "duplicates": int, "rejected": int}, pk="id")
    db["ingest_files"].create({"sha256": str, "name": str, "size": int, "batch_id": str, "kind": str,
                               "status": str, "documents": int, "at": str}, pk="sha256",
                              foreign_keys=[("batch_id", "batches", "id")])
    db["quarantine"].create({"id": int, "batch_id": str, "source": str, "item": str, "reason": str,
                             "path": str, "content": str, "at": str}, pk="id",
                            foreign_keys=[("batch_id", "batches", "id")])

    # customer voice
    db["documents"].create({
        "id": str, "kind": str, "external_id": str, "source": str, "received_at": str, "title": str,
        "text": str, "metadata": str, "content_hash": str, "doc_type": str, "batch_id": str,
        "created_at": str, "status": str, "analysed_at": str, "pipeline": str,
        "sentiment_label": str, "sentiment_score": float, "sentiment_stage": str,
    }, pk="id", not_null={"kind", "source", "doc_type", "status", "created_at"},
        foreign_keys=[("batch_id", "batches", "id")])
    db["documents"].create_index(["kind", "external_id"], unique=True)
    db["documents"].create_index(["status"])
    db["documents"].create_index(["received_at"])
    db["documents"].create_index(["content_hash"])

    db["utterances"].create({"id": int, "document_id": str, "seq": int, "speaker": str, "role": str,
                             "text": str, "start_s": float, "end_s": float}, pk="id",
                            not_null={"document_id", "seq", "role", "text"},
                            foreign_keys=[("document_id", "documents", "id")])
    db["utterances"].create_index(["document_id", "seq"], unique=True)

    db["themes"].create({"id": str, "label": str, "description": str, "keywords": str, "parent_id": str,
                         "seed": int, "status": str, "size": int, "centroid": bytes, "stage": str,
                         "created_at": str, "updated_at": str, "retired_at": str}, pk="id",
                        not_null={"label", "status"}, foreign_keys=[("parent_id", "themes", "id")])
    db["theme_lineage"].create({"id": int, "at": str, "kind": str, "theme_id": str, "other_theme_id": str,
                                "detail": str}, pk="id", foreign_keys=[("theme_id", "themes", "id")])

    db["sentences"].create({
        "id": int, "document_id": str, "utterance_id": int, "seq": int, "speaker": str, "role": str,
        "text": str, "char_start": int, "char_end": int, "text_hash": str, "segment_stage": str,
        "sentiment_label": str, "sentiment_score": float, "sentiment_stage": str,
        "theme_id": str, "theme_stage": str,
    }, pk="id", not_null={"document_id", "seq", "role", "text", "text_hash"},
        foreign_keys=[("document_id", "documents", "id"), ("utterance_id", "utterances", "id"),
                      ("theme_id", "themes", "id")])
    db["sentences"].create_index(["document_id", "seq"], unique=True)
    db["sentences"].create_index(["text_hash"])
    db["sentences"].create_index(["theme_id"])
    _fts(db, "sentences", "text")

    db["embeddings"].create({"model": str, "text_hash": str, "dim": int, "vector": bytes},
                            pk=("model", "text_hash"), not_null={"dim", "vector"})

    # what the company promised, who owns what
    db["departments"].create({"name": str, "description": str, "keywords": str, "examples": str,
                              "webhook": str, "source": str, "created_at": str, "updated_at": str},
                             pk="name", not_null={"description"})
    db["promises"].create({"id": str, "text": str, "department": str, "target": str, "channel": str,
                           "valid_from": str, "valid_to": str, "source": str, "created_at": str,
                           "updated_at": str, "deleted_at": str}, pk="id", not_null={"text"})

    # findings -> insights -> departments
    db["findings"].create({
        "id": int, "kind": str, "document_id": str, "sentence_id": int, "theme_id": str, "promise_id": str,
        "promised_value": str, "reported_value": str, "gap": str, "evidence": str, "confidence": float,
        "stage": str, "created_at": str,
    }, pk="id", not_null={"kind", "stage", "created_at"},
        foreign_keys=[("document_id", "documents", "id"), ("sentence_id", "sentences", "id"),
                      ("theme_id", "themes", "id"), ("promise_id", "promises", "id")])
    db["findings"].create_index(["document_id"])
    db["findings"].create_index(["kind"])
    db["insights"].create({
        "id": int, "key": str, "kind": str, "title": str, "summary": str, "severity": str,
        "department": str, "status": str, "routed_by": str, "confidence": float, "theme_id": str,
        "promise_id": str, "created_at": str, "updated_at": str,
    }, pk="id", not_null={"key", "kind", "title", "status", "created_at"},
        foreign_keys=[("department", "departments", "name")])
    db["insights"].create_index(["key"], unique=True)
    db["insights"].create_index(["department", "status"])
    db["insight_findings"].create({"insight_id": int, "finding_id": int}, pk=("insight_id", "finding_id"),
                                  foreign_keys=[("insight_id", "insights", "id"), ("finding_id", "findings", "id")])
    db["insight_events"].create({"id": int, "insight_id": int, "at": str, "actor": str, "action": str,
                                 "from_status": str, "to_status": str, "department": str, "note": str},
                                pk="id", not_null={"insight_id", "at", "action"},
                                foreign_keys=[("insight_id", "insights", "id")])

    # operations
    db["jobs"].create({"id": str, "kind": str, "status": str, "progress": float, "done": int, "total": int,
                       "payload": str, "error": str, "created_at": str, "started_at": str,
                       "finished_at": str, "heartbeat_at": str}, pk="id", not_null={"kind", "status"})
    db["jobs"].create_index(["status"])
    db["api_keys"].create({"id": int, "name": str, "role": str, "department": str, "key_hash": str,
                           "prefix": str, "created_at": str, "revoked_at": str, "last_used_at": str},
                          pk="id", not_null={"name", "role", "key_hash", "created_at"})
    db["api_keys"].create_index(["key_hash"], unique=True)
    db["audit_log"].create({"id": int, "at": str, "actor": str, "action": str, "target": str, "detail": str},
                           pk="id", not_null={"at", "actor", "action"})


@migration(2, "sentiment arc of conversations, finding details")
def _sentiment_arc(db: sqlite_utils.Database) -> None:
    for column in ("sentiment_start", "sentiment_end", "sentiment_shift"):
        db.execute(f"alter table documents add column {column} float")
    db.execute("alter table findings add column detail text")
    db["sentences"].create_index(["sentiment_label"])
    db["findings"].create_index(["promise_id"])


@migration(3, "routing corrections, finding routes, webhook outbox and delivery log")
def _routing(db: sqlite_utils.Database) -> None:
    db["routing_corrections"].create({
        "id": int, "insight_id": int, "finding_id": int, "text": str, "text_hash": str, "department": str,
        "from_department": str, "actor": str, "at": str,
    }, pk="id", not_null={"text", "text_hash", "department", "at"},
        foreign_keys=[("insight_id", "insights", "id"), ("finding_id", "findings", "id")])
    db["routing_corrections"].create_index(["department"])
    db["finding_routes"].create({"finding_id": int, "department": str, "routed_by": str, "confidence": float,
                                 "rule": str, "stage": str, "at": str}, pk="finding_id",
                                not_null={"routed_by", "at"}, foreign_keys=[("finding_id", "findings", "id")])
    db["webhook_outbox"].create({
        "id": int, "department": str, "url": str, "event": str, "insight_id": int, "payload": str,
        "status": str, "attempts": int, "next_attempt_at": str, "last_error": str, "created_at": str,
        "delivered_at": str,
    }, pk="id", not_null={"department", "url", "event", "payload", "status", "attempts", "created_at"},
        foreign_keys=[("insight_id", "insights", "id")])
    db["webhook_outbox"].create_index(["status", "next_attempt_at"])
    db["webhook_deliveries"].create({"id": int, "outbox_id": int, "at": str, "attempt": int, "url": str,
                                     "status_code": int, "ok": int, "error": str, "duration_ms": float},
                                    pk="id", not_null={"outbox_id", "at", "attempt"},
                                    foreign_keys=[("outbox_id", "webhook_outbox", "id")])


@migration(4, "promises remember the voc.toml definition they were last synced from")
def _promise_config_hash(db: sqlite_utils.Database) -> None:
    # sync_config writes a voc.toml promise only when this hash of its definition changes, so edits and
    # deletions made through the API survive restarts
    db.execute("alter table promises add column config_hash text")


@migration(5, "findings indexed by sentence")
def _findings_by_sentence(db: sqlite_utils.Database) -> None:
    # routing adds a complaint finding to each negative sentence that has none: without this index that
    # check read every finding once per sentence (0.5 s on 3,000 tweets, growing with the square)
    db["findings"].create_index(["sentence_id"], if_not_exists=True)
