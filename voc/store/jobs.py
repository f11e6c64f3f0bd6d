"""The durable job queue in the ``jobs`` table.

A job is ``queued`` until a worker claims it (``running``, with a heartbeat), then ``done`` or
``failed``. A job left ``running`` whose heartbeat is older than ``stale_after`` seconds (its worker
died) is put back in the queue, so work survives a restart. Claiming is one ``BEGIN IMMEDIATE``
transaction, so two workers never take the same job.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voc.store.store import VocStore

JOB_STATUSES = ("queued", "running", "done", "failed")
MAX_ATTEMPTS = 3


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def job_record(row: dict) -> dict:
    """A jobs row as the API shows it."""
    payload = json.loads(row.get("payload") or "{}")
    return {"id": row["id"], "kind": row["kind"], "status": row["status"],
            "progress": round(float(row["progress"] or 0.0), 4), "done": row["done"] or 0, "total": row["total"],
            "error": row["error"], "result": payload.get("result"), "attempts": payload.get("attempts", 0),
            "created_at": row["created_at"], "started_at": row["started_at"], "finished_at": row["finished_at"],
            "heartbeat_at": row["heartbeat_at"]}


class JobsMixin:
    def enqueue_job(self: "VocStore", kind: str, payload: dict | None = None, *, coalesce: bool = False) -> str:
        """Queue a job and return its id; with ``coalesce``, a job of that kind still queued is reused."""
        with self.transaction():
            if coalesce:
                row = self.conn.execute("select id from jobs where kind = ? and status = 'queued' "
                                        "order by created_at limit 1", [kind]).fetchone()
                if row:
                    return row[0]
            job_id = "j_" + secrets.token_hex(8)
            self.db["jobs"].insert({"id": job_id, "kind": kind, "status": "queued", "progress": 0.0, "done": 0,
                                    "payload": json.dumps(payload or {}), "created_at": _iso(_now())})
        return job_id

    def get_job(self: "VocStore", job_id: str) -> dict | None:
        rows = list(self.db.query("select * from jobs where id = ?", [job_id]))
        return job_record(rows[0]) if rows else None

    def requeue_stale_jobs(self: "VocStore", stale_after: float = 60.0) -> list[str]:
        """Put jobs whose worker stopped sending heartbeats back in the queue (or fail them after
        :data:`MAX_ATTEMPTS`); return their ids."""
        cutoff = _iso(_now() - dt.timedelta(seconds=stale_after))
        with self.transaction():
            rows = list(self.db.query("select id, payload from jobs where status = 'running' "
                                      "and coalesce(heartbeat_at, started_at, created_at) < ?", [cutoff]))
            for row in rows:
                payload = json.loads(row["payload"] or "{}")
                if payload.get("attempts", 0) >= MAX_ATTEMPTS:
                    self.conn.execute("update jobs set status = 'failed', finished_at = ?, error = ? where id = ?",
                                      [_iso(_now()), f"gave up after {MAX_ATTEMPTS} attempts: the worker stopped "
                                       "each time (out of memory or killed?)", row["id"]])
                else:
                    self.conn.execute("update jobs set status = 'queued', heartbeat_at = null where id = ?",
                                      [row["id"]])
        return [r["id"] for r in rows]

    def claim_job(self: "VocStore", kinds: tuple[str, ...] | None = None) -> dict | None:
        """Take the oldest queued job (of ``kinds``) and mark it running; None when the queue is empty."""
        where, params = "status = 'queued'", []
        if kinds:
            where += f" and kind in ({','.join('?' * len(kinds))})"
            params = list(kinds)
        with self.transaction():
            rows = list(self.db.query(f"select * from jobs where {where} order by created_at, rowid limit 1", params))
            if not rows:
                return None
            row = rows[0]
            payload = json.loads(row["payload"] or "{}")
            payload["attempts"] = payload.get("attempts", 0) + 1
            now = _iso(_now())
            self.conn.execute("update jobs set status = 'running', started_at = ?, heartbeat_at = ?, payload = ?, "
                              "error = null where id = ?", [now, now, json.dumps(payload), row["id"]])
        row.update(status="running", started_at=now, heartbeat_at=now, payload=json.dumps(payload))
        return row

    def job_progress(self: "VocStore", job_id: str, *, done: int | None = None, total: int | None = None) -> None:
        """Record progress (``done`` of ``total``) and beat the job's heartbeat."""
        sets, params = ["heartbeat_at = ?"], [_iso(_now())]
        if done is not None:
            sets.append("done = ?")
            params.append(done)
        if total is not None:
            sets.append("total = ?")
            params.append(total)
        if done is not None and total:
            sets.append("progress = ?")
            params.append(min(1.0, done / total))
        with self.transaction():
            self.conn.execute(f"update jobs set {', '.join(sets)} where id = ? and status = 'running'",
                              [*params, job_id])

    def finish_job(self: "VocStore", job_id: str, result: Any = None) -> None:
        with self.transaction():
            row = self.conn.execute("select payload from jobs where id = ?", [job_id]).fetchone()
            payload = json.loads((row and row[0]) or "{}")
            payload["result"] = result
            self.conn.execute("update jobs set status = 'done', progress = 1.0, finished_at = ?, heartbeat_at = ?, "
                              "payload = ? where id = ?",
                              [_iso(_now()), _iso(_now()), json.dumps(payload, default=str), job_id])

    def release_job(self: "VocStore", job_id: str) -> None:
        """Put a running job back in the queue (its worker is stopping)."""
        with self.transaction():
            self.conn.execute("update jobs set status = 'queued', heartbeat_at = null where id = ? "
                              "and status = 'running'", [job_id])

    def fail_job(self: "VocStore", job_id: str, error: str) -> None:
        with self.transaction():
            self.conn.execute("update jobs set status = 'failed', finished_at = ?, error = ? where id = ?",
                              [_iso(_now()), error[:2000], job_id])
