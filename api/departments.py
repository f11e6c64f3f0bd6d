"""Department inboxes: the insights routed to each department, acknowledged, resolved or re-routed there.

A ``department`` key reaches its own inbox only; admins and the reading roles see every inbox.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from api import get_store
from api.auth import READERS, actor, check_department, require
from api.openapi import Param, page_of, ref, spec
from api.params import DATE, PAGE_PARAMS, arg_choice, arg_date, arg_text, json_body, offset_page, page
from voc.errors import InputError, NotFound
from voc.store.insights import INSIGHT_STATUSES

bp = Blueprint("departments", __name__, url_prefix="/api/v1")

INBOX_PARAMS = (
    Param("status", {"enum": ["open", *INSIGHT_STATUSES]}, "new, acknowledged or resolved; open = new or acknowledged"),
    Param("severity", {"type": "string"}, "e.g. high"),
    Param("kind", {"type": "string"}, "insight kind, e.g. broken_promise"),
    Param("theme", {"type": "string"}, "theme id"),
    Param("from", DATE, "created on or after"),
    Param("to", DATE, "created before (a date alone includes that day)"),
)


@bp.get("/departments")
@spec("Departments and the state of their inboxes", params=PAGE_PARAMS,
      responses={200: ("A page of departments", page_of("Department"))})
@require(*READERS)
def list_departments():
    """Departments from voc.toml with counts of their insights by status."""
    limit, state = page()
    rows = get_store().list_departments()
    return jsonify(offset_page(lambda offset, n: rows[offset:offset + n], limit, state))


@bp.get("/departments/<name>/insights")
@spec("A department's inbox", params=(*INBOX_PARAMS, *PAGE_PARAMS),
      responses={200: ("A page of insights: open first, then by severity, newest first", page_of("Insight"))})
@require(*READERS, "department")
def inbox(name: str):
    """Insights routed to the department, each with its first pieces of evidence."""
    check_department(name)
    store = get_store()
    if not store.department_exists(name):
        raise NotFound(f"no department named {name!r}. Fix: GET /api/v1/departments lists them")
    limit, state = page()
    args = {"status": arg_choice("status", ("open", *INSIGHT_STATUSES)), "severity": arg_text("severity"),
            "kind": arg_text("kind"), "theme": arg_text("theme"), "date_from": arg_date("from"),
            "date_to": arg_date("to", end=True)}
    return jsonify(offset_page(lambda offset, n: store.inbox(name, offset=offset, limit=n, **args), limit, state))


@bp.get("/insights/<int(max=9223372036854775807):insight_id>")
@spec("One insight with its evidence and history", responses={200: ("The insight", ref("Insight"))})
@require(*READERS, "department")
def get_insight(insight_id: int):
    """``events`` lists every acknowledgement, resolution and re-routing, oldest first."""
    record = get_store().get_insight(insight_id)
    check_department(record["department"])
    return jsonify(record)


@bp.patch("/insights/<int(max=9223372036854775807):insight_id>")
@spec("Acknowledge, resolve or re-route an insight", body=ref("InsightPatch"),
      responses={200: ("The insight with its events", ref("Insight"))}, errors=(409, 415))
@require("department")
def patch_insight(insight_id: int):
    """``{"status": "acknowledged" | "resolved", "note"}`` changes its status;
    ``{"department": NAME, "note"}`` sends it to another department's inbox, where it opens again.
    Each change is recorded as an insight event and in the audit log. A department key may change
    only the insights in its own inbox."""
    body = json_body()
    unknown = set(body) - {"status", "note", "department"}
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(sorted(unknown))}. Send {{\"status\", \"note\"}} or "
                         "{\"department\"}")
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 5000):
        raise InputError("`note` must be a string of at most 5000 characters")
    status, department = body.get("status"), body.get("department")
    if (status is None) == (department is None):
        raise InputError("send either {\"status\": \"acknowledged\" | \"resolved\", \"note\"} or "
                         "{\"department\": NAME} to re-route")
    store = get_store()
    rows = list(store.db.query("select department from insights where id = ?", [insight_id]))
    if not rows:
        raise NotFound(f"no insight with id {insight_id}")
    check_department(rows[0]["department"])
    if department is not None:
        if not isinstance(department, str) or not department.strip():
            raise InputError("`department` must be the name of a department")
        return jsonify(store.reroute_insight(insight_id, department.strip(), actor=actor(), note=note,
                                             config=current_app.extensions["voc"].config))
    if status not in ("acknowledged", "resolved"):
        raise InputError(f"`status` must be 'acknowledged' or 'resolved', found {status!r:.60}")
    return jsonify(store.set_insight_status(insight_id, status, actor=actor(), note=note,
                                            config=current_app.extensions["voc"].config))

