"""The promise registry and the departments, as the API reads and edits them; promise gaps.

Promises and departments are seeded from voc.toml on start (:meth:`VocStore.sync_config`); the API
adds, edits and (softly) deletes promises here. Every change is written to the audit log with the
actor's name, in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from typing import TYPE_CHECKING, Any

from voc.errors import Conflict, InputError, NotFound

if TYPE_CHECKING:
    from voc.store.store import VocStore

PROMISE_FIELDS = ("text", "department", "target", "channel", "valid_from", "valid_to")
PROMISE_COLUMNS = "id, text, department, target, channel, valid_from, valid_to, source, created_at, updated_at"

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "several": 4,
                      "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100})
_UNIT_DAYS = {"minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "day": 1.0, "business day": 1.4,
              "working day": 1.4, "week": 7.0, "fortnight": 14.0, "month": 30.0, "year": 365.0}
_NUM = r"(\d+(?:[.,]\d+)?|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"
_DURATION = re.compile(_NUM + r"(?:\s*(?:-|to)\s*\d+)?\s*(business day|working day|minute|min|hour|hr|day|"
                       r"week|fortnight|month|year)s?\b", re.I)
_MONEY = re.compile(r"([$€£])\s*(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s*(dollars|euros?|pounds|usd|eur|gbp)\b",
                    re.I)


def parse_quantity(text: str | None) -> tuple[float, str] | None:
    """``(value, unit)`` for a duration (in days) or an amount of money in ``text``, else None.

    ``"5 business days"`` → ``(7.0, "days")`` (calendar days), ``"three weeks"`` → ``(21.0, "days")``,
    ``"$50"`` → ``(50.0, "$")``.
    """
    if not text:
        return None
    m = _DURATION.search(text)
    if m:
        raw = m.group(1).lower()
        number = _NUMBER_WORDS[raw] if raw in _NUMBER_WORDS else float(raw.replace(",", "."))
        return round(number * _UNIT_DAYS[m.group(2).lower()], 5), "days"
    m = _MONEY.search(text)
    if m:
        amount = float((m.group(2) or m.group(3)).replace(",", "."))
        unit = m.group(1) or {"dollars": "$", "usd": "$", "euro": "€", "euros": "€", "eur": "€", "pounds": "£",
                              "gbp": "£"}[m.group(4).lower()]
        return amount, unit
    return None


def _median(values: list[str | None]) -> dict | None:
    parsed = [q for q in map(parse_quantity, values) if q]
    if not parsed:
        return None
    unit = statistics.mode(u for _, u in parsed)
    return {"median": statistics.median(v for v, u in parsed if u == unit), "unit": unit,
            "n": sum(1 for _, u in parsed if u == unit)}


def definition_hash(values: dict) -> str:
    """SHA-256 of a promise's definition (text, owner, target, channel, validity), as voc.toml gives it."""
    definition = [values.get(k) for k in PROMISE_FIELDS]
    return hashlib.sha256(json.dumps(definition, separators=(",", ":")).encode("utf-8")).hexdigest()


def _promise_record(row: dict) -> dict:
    return {k: row[k] for k in PROMISE_COLUMNS.split(", ")}


class CatalogMixin:
    # -- promises ----------------------------------------------------------------------------------
    def list_promises(self: "VocStore") -> list[dict]:
        return [_promise_record(r) for r in self.db.query(
            f"select {PROMISE_COLUMNS} from promises where deleted_at is null order by id")]

    def get_promise(self: "VocStore", promise_id: str) -> dict:
        rows = list(self.db.query(f"select {PROMISE_COLUMNS} from promises where id = ? and deleted_at is null",
                                  [promise_id]))
        if not rows:
            raise NotFound(f"no promise with id {promise_id!r}. Fix: GET /api/v1/promises lists them")
        return _promise_record(rows[0])

    def _checked_promise(self: "VocStore", values: dict[str, Any]) -> dict:
        from voc.config import FieldProblem, Promise
        try:
            p = Promise(**values)
        except FieldProblem as exc:
            raise InputError(f"{exc.message}. Fix: {exc.fix}") from None
        except TypeError as exc:
            raise InputError(f"unexpected field in the promise: {exc}. Fields: id, {', '.join(PROMISE_FIELDS)}") from None
        if p.department is not None and not self.db["departments"].count_where("name = ?", [p.department]):
            raise InputError(f"no department named {p.department!r}. Fix: use one of "
                             f"{', '.join(d['name'] for d in self.list_departments()) or '(none configured)'}")
        return {"id": p.id, "text": p.text.strip(), "department": p.department, "target": p.target,
                "channel": p.channel, "valid_from": p.valid_from and p.valid_from.isoformat(),
                "valid_to": p.valid_to and p.valid_to.isoformat()}

    def create_promise(self: "VocStore", values: dict[str, Any], *, actor: str) -> dict:
        from voc.store.store import utcnow
        row = self._checked_promise(values)
        now = utcnow()
        with self.transaction():
            existing = self.conn.execute("select deleted_at from promises where id = ?", [row["id"]]).fetchone()
            if existing and existing[0] is None:
                raise Conflict(f"a promise with id {row['id']!r} already exists. Fix: PATCH "
                               f"/api/v1/promises/{row['id']} to change it, or choose another id")
            self.db["promises"].upsert({**row, "source": "api", "created_at": now, "updated_at": now,
                                        "deleted_at": None}, pk="id")
            self.audit(actor, "promise.create", row["id"], row)
        return self.get_promise(row["id"])

    def update_promise(self: "VocStore", promise_id: str, changes: dict[str, Any], *, actor: str) -> dict:
        from voc.store.store import utcnow
        unknown = set(changes) - set(PROMISE_FIELDS)
        if unknown:
            raise InputError(f"cannot change {', '.join(sorted(unknown))} of a promise. Fields that can change: "
                             f"{', '.join(PROMISE_FIELDS)}")
        with self.transaction():
            current = self.get_promise(promise_id)
            row = self._checked_promise({"id": promise_id, **{k: current[k] for k in PROMISE_FIELDS}, **changes})
            self.db["promises"].update(promise_id, {**row, "updated_at": utcnow()})
            self.audit(actor, "promise.update", promise_id, changes)
        return self.get_promise(promise_id)

    def delete_promise(self: "VocStore", promise_id: str, *, actor: str) -> None:
        """Soft delete: findings keep pointing at it, it leaves the registry and the gaps."""
        from voc.store.store import utcnow
        with self.transaction():
            self.get_promise(promise_id)
            self.conn.execute("update promises set deleted_at = ?, updated_at = ? where id = ?",
                              [utcnow(), utcnow(), promise_id])
            self.audit(actor, "promise.delete", promise_id)

    def promise_gaps(self: "VocStore", where: str = "1", params: list | None = None, *, examples: int = 3,
                     weeks: int = 26) -> list[dict]:
        """Per registered promise (plus ``unregistered`` broken commitments): documents mentioning it,
        documents reporting it broken, the rate, the weekly trend of breaks, the median promised and
        reported values, and the latest examples. ``where`` filters documents ``d``."""
        params = list(params or [])
        when = "coalesce(d.received_at, d.created_at)"
        base = f"from findings f join documents d on d.id = f.document_id where {where}"
        counts = {r["pid"]: r for r in self.db.query(
            f"select coalesce(f.promise_id, 'unregistered') as pid, count(distinct f.document_id) as mentions, "
            f"count(distinct case when f.kind = 'broken_promise' then f.document_id end) as broken {base} "
            "and (f.promise_id is not null or f.kind = 'broken_promise') group by pid", params)}
        promises = {p["id"]: p for p in self.list_promises()}
        out = []
        for pid in [*promises, *(["unregistered"] if "unregistered" in counts else [])]:
            c = counts.get(pid, {"mentions": 0, "broken": 0})
            match = "f.promise_id is null" if pid == "unregistered" else "f.promise_id = ?"
            args = [] if pid == "unregistered" else [pid]
            broken = list(self.db.query(
                f"select f.id, f.document_id, f.evidence, f.promised_value, f.reported_value, f.gap, f.confidence, "
                f"{when} as received_at {base} and f.kind = 'broken_promise' and {match} order by {when} desc",
                [*params, *args]))
            trend = list(self.db.query(
                f"select date({when}, 'weekday 0', '-6 days') as week, count(distinct f.document_id) as broken "
                f"{base} and f.kind = 'broken_promise' and {match} group by week order by week", [*params, *args]))
            p = promises.get(pid, {})
            out.append({
                "promise_id": None if pid == "unregistered" else pid, "promise": p.get("text"),
                "owner": p.get("department"), "target": p.get("target"), "channel": p.get("channel"),
                "mentions": c["mentions"], "broken": c["broken"],
                "broken_rate": round(c["broken"] / c["mentions"], 4) if c["mentions"] else None,
                "trend": [t for t in trend if t["week"]][-weeks:],
                "promised": _median([b["promised_value"] or p.get("target") for b in broken]),
                "reported": _median([b["reported_value"] for b in broken]),
                "examples": broken[:examples],
            })
        out.sort(key=lambda g: (-g["broken"], g["promise_id"] or "~"))
        return out

    def unregistered_broken(self: "VocStore", where: str = "1", params: list | None = None, *,
                            limit: int = 5000) -> list[dict]:
        """The latest ``limit`` broken-promise findings linked to no registered promise, oldest first,
        with their sentence's text hash and the department their finding or insight was routed to.
        ``where`` filters documents ``d``."""
        rows = self.db.query(
            "select f.id, f.document_id, f.evidence, f.promised_value, f.reported_value, s.text_hash, "
            "coalesce(d.received_at, d.created_at) as received_at, "
            "(select r.department from finding_routes r where r.finding_id = f.id) as routed, "
            "(select i.department from insight_findings x join insights i on i.id = x.insight_id "
            " where x.finding_id = f.id and i.department is not null order by i.id limit 1) as inbox "
            "from findings f join documents d on d.id = f.document_id left join sentences s on s.id = f.sentence_id "
            f"where f.kind = 'broken_promise' and f.promise_id is null and {where} order by f.id desc limit ?",
            [*(params or []), limit])
        return sorted(rows, key=lambda r: r["id"])

    # -- departments -------------------------------------------------------------------------------
    def list_departments(self: "VocStore") -> list[dict]:
        rows = list(self.db.query("select name, description, keywords, examples, webhook, source from departments "
                                  "order by name"))
        open_counts = {r["department"]: r for r in self.db.query(
            "select department, count(*) as total, sum(status = 'open' or status = 'new') as open, "
            "sum(status = 'acknowledged') as acknowledged, sum(status = 'resolved') as resolved "
            "from insights where department is not null group by department")}
        for r in rows:
            r["keywords"] = json.loads(r["keywords"] or "[]")
            r["examples"] = json.loads(r["examples"] or "[]")
            r["webhook"] = bool(r["webhook"])
            c = open_counts.get(r["name"], {})
            r["insights"] = {k: c.get(k) or 0 for k in ("total", "open", "acknowledged", "resolved")}
        return rows

    def department_exists(self: "VocStore", name: str) -> bool:
        return bool(self.db["departments"].count_where("name = ?", [name]))

    # -- API keys by id ----------------------------------------------------------------------------
    def revoke_api_key_id(self: "VocStore", key_id: int, *, actor: str) -> dict:
        from voc.store.store import utcnow
        with self.transaction():
            rows = list(self.db.query("select id, name, role, department, prefix, created_at, revoked_at "
                                      "from api_keys where id = ?", [key_id]))
            if not rows:
                raise NotFound(f"no API key with id {key_id}. Fix: GET /api/v1/keys lists them")
            if rows[0]["revoked_at"] is None:
                rows[0]["revoked_at"] = utcnow()
                self.conn.execute("update api_keys set revoked_at = ? where id = ?", [rows[0]["revoked_at"], key_id])
                self.audit(actor, "api_key.revoke", rows[0]["name"], {"id": key_id})
        return rows[0]
