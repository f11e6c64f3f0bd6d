"""Webhooks: a durable outbox, HMAC-SHA256 signatures, retries with exponential backoff, a log.

An event for a department with a ``webhook`` is written to ``webhook_outbox`` in the same
transaction as the change it reports, so nothing is lost when the process stops: the next
:func:`deliver_pending` sends whatever is due. Each attempt is a ``webhook_deliveries`` row.

The body is JSON; the headers carry ``X-Voc-Event``, ``X-Voc-Delivery`` (the outbox id, for
de-duplication on the receiving side), ``X-Voc-Timestamp`` and ``X-Voc-Signature:
sha256=HEX``, the HMAC-SHA256 of ``TIMESTAMP.BODY`` with the secret from the environment variable
``VOC_WEBHOOK_SECRET_<NAME>`` (the department name upper-cased, ``-`` as ``_``). Without a secret
nothing is sent unsigned: the attempt fails with that reason and is retried later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.store import VocStore

MAX_ATTEMPTS = 8
BASE_DELAY_S = 30.0
MAX_DELAY_S = 6 * 3600.0


@dataclass(frozen=True)
class Response:
    status: int
    error: str | None = None


Sender = Callable[[str, bytes, Mapping[str, str], float], Response]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver runs: constant-time comparison of the signature it got with its own."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def backoff(attempts: int, *, base: float = BASE_DELAY_S, cap: float = MAX_DELAY_S) -> float:
    """Seconds to wait after the ``attempts``-th failure: base, 2x, 4x ... up to ``cap``."""
    return min(cap, base * 2 ** max(0, attempts - 1))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _payload(store: "VocStore", insight_id: int, event: str) -> dict:
    row = list(store.db.query("select id, key, kind, title, summary, severity, department, status, routed_by, "
                              "confidence, theme_id, promise_id, created_at, updated_at from insights where id = ?",
                              [insight_id]))[0]
    evidence = [r[0] for r in store.conn.execute(
        "select f.evidence from insight_findings x join findings f on f.id = x.finding_id where x.insight_id = ? "
        "and f.evidence is not null order by f.id desc limit 3", [insight_id])]
    return {"event": event, "insight": row, "evidence": evidence}


def enqueue(store: "VocStore", config: "VocConfig", insight_id: int, event: str,
            now: dt.datetime | None = None) -> int:
    """Queue ``event`` about an insight for its department's webhook; 0 when it has none."""
    row = store.conn.execute("select department from insights where id = ?", [insight_id]).fetchone()
    department = config.department(row[0]) if row and row[0] else None
    if department is None or not department.webhook:
        return 0
    at = _iso(now or dt.datetime.now(dt.timezone.utc))
    with store.transaction():
        store.db["webhook_outbox"].insert({
            "department": department.name, "url": department.webhook, "event": event, "insight_id": insight_id,
            "payload": json.dumps(_payload(store, insight_id, event), default=str, ensure_ascii=False),
            "status": "pending", "attempts": 0, "next_attempt_at": at, "created_at": at})
    return 1


def http_send(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Response:
    """POST with the standard library; any 2xx is success."""
    import urllib.error
    import urllib.request
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 (operator-configured URL)
            return Response(reply.status)
    except urllib.error.HTTPError as exc:
        return Response(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Response(0, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def deliver_pending(store: "VocStore", config: "VocConfig", *, now: dt.datetime | None = None,
                    send: Sender = http_send, env: Mapping[str, str] | None = None, limit: int = 100,
                    timeout: float = 10.0) -> DeliveryReport:
    """Send every outbox entry that is due; failures are retried later, up to ``MAX_ATTEMPTS``."""
    env = os.environ if env is None else env
    moment = now or dt.datetime.now(dt.timezone.utc)
    report = DeliveryReport()
    due = list(store.db.query("select * from webhook_outbox where status = 'pending' and next_attempt_at <= ? "
                              "order by id limit ?", [_iso(moment), limit]))
    for entry in due:
        department = config.department(entry["department"])
        secret = env.get(department.webhook_secret_env) if department else None
        body = entry["payload"].encode("utf-8")
        timestamp = str(int(moment.timestamp()))
        started = time.perf_counter()
        if not secret:
            name = department.webhook_secret_env if department else "VOC_WEBHOOK_SECRET_<NAME>"
            response = Response(0, f"no signing secret: set {name}")
        else:
            headers = {"Content-Type": "application/json", "User-Agent": "voc-webhook/1",
                       "X-Voc-Event": entry["event"], "X-Voc-Delivery": str(entry["id"]),
                       "X-Voc-Timestamp": timestamp, "X-Voc-Signature": sign(secret, timestamp, body)}
            try:
                response = send(entry["url"], body, headers, timeout)
            except Exception as exc:  # a sender must never lose the entry
                response = Response(0, f"{type(exc).__name__}: {exc}")
        elapsed = (time.perf_counter() - started) * 1000
        ok = 200 <= response.status < 300
        attempts = entry["attempts"] + 1
        with store.transaction():
            store.db["webhook_deliveries"].insert({
                "outbox_id": entry["id"], "at": _iso(moment), "attempt": attempts, "url": entry["url"],
                "status_code": response.status or None, "ok": int(ok), "error": None if ok else response.error
                or f"HTTP {response.status}", "duration_ms": round(elapsed, 1)})
            if ok:
                store.db["webhook_outbox"].update(entry["id"], {"status": "delivered", "attempts": attempts,
                                                                "delivered_at": _iso(moment), "last_error": None})
                report.delivered += 1
                continue
            status = "dead" if attempts >= MAX_ATTEMPTS else "pending"
            retry = moment + dt.timedelta(seconds=backoff(attempts))
            store.db["webhook_outbox"].update(entry["id"], {
                "status": status, "attempts": attempts, "next_attempt_at": _iso(retry),
                "last_error": response.error or f"HTTP {response.status}"})
            report.failed += 1
            report.dead += status == "dead"
    return report
