"""VocStore: the one place that talks to SQLite (through sqlite-utils).

One ``VocStore`` is one connection: give each thread or process its own. The database runs in WAL
mode with foreign keys on and a busy timeout, and every write goes through :meth:`transaction`,
which takes the write lock up front (``BEGIN IMMEDIATE``) so that concurrent writers queue instead
of failing with "database is locked", and a crash never leaves half a document behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import sqlite_utils

from voc.errors import InputError, NotFound, StoreError
from voc.store import migrations
from voc.store.agents import AgentsMixin
from voc.store.browse import BrowseMixin
from voc.store.catalog import CatalogMixin
from voc.store.documents import DocumentsMixin
from voc.store.exports import ExportMixin
from voc.store.insights import InsightsMixin
from voc.store.jobs import JobsMixin
from voc.store.reports import ReportsMixin

if TYPE_CHECKING:
    from voc.config import VocConfig

ROLES = ("admin", "analyst", "marketing", "product", "contact_center", "department")


def utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class VocStore(DocumentsMixin, ExportMixin, BrowseMixin, CatalogMixin, InsightsMixin, JobsMixin, ReportsMixin,
               AgentsMixin):
    """A voc database. ``VocStore(path)`` opens (creating and migrating) it."""

    def __init__(self, path: str | Path, *, migrate: bool = True, timeout: float = 60.0):
        self.path = Path(path)
        if str(path) != ":memory:":
            if self.path.is_dir():
                raise StoreError(f"{self.path} is a folder, not a database file. Fix: pass a file path "
                                 "such as ./voc.db with --db or VOC_DB")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
            conn.execute(f"pragma busy_timeout = {int(timeout * 1000)}")
            self.db = sqlite_utils.Database(conn)
            if str(path) != ":memory:":
                self.db.enable_wal()
            conn.execute("pragma foreign_keys = on")
            conn.execute("pragma synchronous = normal")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open {self.path} as a voc database: {exc}. Fix: check the path "
                             "(--db / VOC_DB) points at a voc database or at a new file") from None
        if migrate:
            self.migrate()
        else:
            self.check_schema()

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "VocStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["VocStore"]:
        """All or nothing. Nested calls become savepoints inside the outer transaction."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        self.conn.execute("begin immediate")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("rollback")
            raise
        else:
            self.conn.execute("commit")

    # -- schema ------------------------------------------------------------------------------
    def schema_version(self) -> int:
        versions = migrations.applied_versions(self.db)
        return max(versions) if versions else 0

    def migrate(self, *, target: int | None = None) -> list[int]:
        """Bring the schema up to date; return the versions applied (empty when already current)."""
        if self.schema_version() >= (target or migrations.latest_version()):
            self.check_schema()
            return []
        with self.transaction():
            applied = migrations.migrate(self.db, target=target)
        self.check_schema()
        return applied

    def check_schema(self) -> None:
        version = self.schema_version()
        if version > migrations.latest_version():
            raise StoreError(f"{self.path} has schema version {version}, newer than this voc knows "
                             f"({migrations.latest_version()}). Fix: upgrade voc")

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("select value from meta where key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    # -- configuration mirrored into the database ------------------------------------------------
    def sync_config(self, config: "VocConfig") -> None:
        """Mirror departments and promises from voc.toml so queries and foreign keys can see them.

        Entries the file no longer names are kept when something refers to them (promises are
        marked deleted), so history survives a configuration change. A promise is written from
        voc.toml only when its definition there is new or changed since the last sync (a hash of it
        is kept in ``promises.config_hash``): an edit or a deletion made through the API stands until
        voc.toml changes that promise, and a promise the file drops after the API edited it stays.
        """
        now = utcnow()
        with self.transaction():
            for d in config.departments:
                self.db["departments"].upsert({
                    "name": d.name, "description": d.description, "keywords": json.dumps(list(d.keywords)),
                    "examples": json.dumps(list(d.examples)), "webhook": d.webhook, "source": "config",
                    "updated_at": now}, pk="name")
                self.conn.execute("update departments set created_at = coalesce(created_at, ?) where name = ?",
                                  [now, d.name])
            self._sync_promises(config, now)

    def _sync_promises(self, config: "VocConfig", now: str) -> None:
        """Write a voc.toml promise only when its definition there is new or changed since the last
        sync (``promises.config_hash``), so edits and deletions made through the API survive restarts.
        Each rewrite from the file is audited as ``config.promise_sync`` (``config.promise_removed``)."""
        from voc.store.catalog import definition_hash
        rows = {r["id"]: r for r in self.db.query(
            "select id, text, department, target, channel, valid_from, valid_to, source, deleted_at, config_hash "
            "from promises")}
        for p in config.promises:
            values = {"text": p.text, "department": p.department, "target": p.target, "channel": p.channel,
                      "valid_from": p.valid_from and p.valid_from.isoformat(),
                      "valid_to": p.valid_to and p.valid_to.isoformat()}
            digest = definition_hash(values)
            row = rows.get(p.id)
            if row is not None and row["config_hash"] == digest:
                continue  # voc.toml unchanged: whatever the API did to it stands
            if row is not None and row["config_hash"] is None and self._api_owns(p.id):
                # no sync from the file on record since the API last touched it (a database from before
                # the hash was kept, or a promise the API created): the API's version stands
                self.conn.execute("update promises set config_hash = ? where id = ?", [digest, p.id])
                continue
            self.db["promises"].upsert({"id": p.id, **values, "source": "config", "updated_at": now,
                                        "deleted_at": None, "config_hash": digest}, pk="id")
            self.conn.execute("update promises set created_at = coalesce(created_at, ?) where id = ?", [now, p.id])
            if row is not None:  # a new one needs no record: nothing of the API's came before it
                self.audit("voc.toml", "config.promise_sync", p.id, values)
        configured = {p.id for p in config.promises}
        for row in rows.values():
            if row["id"] in configured or row["source"] != "config" or row["deleted_at"] is not None:
                continue
            if definition_hash(row) == row["config_hash"] or (row["config_hash"] is None
                                                              and not self._api_owns(row["id"])):
                self.conn.execute("update promises set deleted_at = ?, config_hash = null where id = ?",
                                  [now, row["id"]])
                self.audit("voc.toml", "config.promise_removed", row["id"])
            else:  # edited through the API since voc.toml last wrote it: the API keeps it
                self.conn.execute("update promises set source = 'api', config_hash = null where id = ?", [row["id"]])

    def _api_owns(self, promise_id: str) -> bool:
        """Whether the API wrote this promise after voc.toml last did (by the audit log)."""
        row = self.conn.execute(
            "select action from audit_log where target = ? and action in ('promise.create', 'promise.update', "
            "'promise.delete', 'config.promise_sync', 'config.promise_removed') order by id desc limit 1",
            [promise_id]).fetchone()
        return row is not None and row[0].startswith("promise.")

    # -- API keys and audit ----------------------------------------------------------------------
    def create_api_key(self, *, name: str, role: str, department: str | None = None, actor: str = "cli") -> str:
        """Create a key and return it; only its SHA-256 is stored, so it cannot be shown again."""
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}. Fix: use one of {', '.join(ROLES)}")
        if (role == "department") != (department is not None):
            raise InputError("a department key needs --department NAME, and only department keys take one")
        if department is not None and not self.db["departments"].count_where("name = ?", [department]):
            known = [r["name"] for r in self.db.query("select name from departments order by name")]
            raise InputError(f"no department named {department!r}. Fix: use one of "
                             f"{', '.join(known) or '(none configured: add [[departments]] to voc.toml)'}")
        if not name or not name.strip():
            raise InputError("a key needs a --name saying who or what uses it")
        key = "voc_" + secrets.token_urlsafe(32)
        with self.transaction():
            self.db["api_keys"].insert({"name": name.strip(), "role": role, "department": department,
                                        "key_hash": _hash_key(key), "prefix": key[:8], "created_at": utcnow()})
            self.audit(actor, "api_key.create", name.strip(), {"role": role, "department": department})
        return key

    def verify_api_key(self, key: str) -> dict | None:
        """The key's row (name, role, department) when it is valid and not revoked, else None."""
        if not key or not key.startswith("voc_"):
            return None
        rows = list(self.db.query("select id, name, role, department from api_keys "
                                  "where key_hash = ? and revoked_at is null", [_hash_key(key)]))
        return rows[0] if rows else None

    def list_api_keys(self) -> list[dict]:
        return list(self.db.query("select id, name, role, department, prefix, created_at, revoked_at, "
                                  "last_used_at from api_keys order by id"))

    def revoke_api_key(self, name: str, *, actor: str = "cli") -> int:
        with self.transaction():
            cur = self.conn.execute("update api_keys set revoked_at = ? where name = ? and revoked_at is null",
                                    [utcnow(), name])
            if cur.rowcount == 0:
                raise NotFound(f"no active API key named {name!r}. Fix: `voc keys list` shows the keys")
            self.audit(actor, "api_key.revoke", name, {"count": cur.rowcount})
        return cur.rowcount

    def audit(self, actor: str, action: str, target: str | None = None, detail: dict | None = None) -> None:
        with self.transaction():
            self.db["audit_log"].insert({"at": utcnow(), "actor": actor, "action": action, "target": target,
                                         "detail": json.dumps(detail or {}, default=str)})

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables, for status pages and summaries."""
        tables = ["documents", "sentences", "themes", "promises", "findings", "insights", "departments",
                  "quarantine"]
        return {t: self.db[t].count for t in tables}


def _hash_key(key: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash is the right tool (no password stretching).
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
