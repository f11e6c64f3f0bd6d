"""Department inboxes: the insights routed to each department, with their evidence; acknowledging,
resolving with a note and re-routing them; an insight's page with its whole history.

Rights follow the JSON API (:mod:`api.departments`): every reading role reads every inbox, a
``department`` key reads its own only; only a department key of the insight's department, or an
admin, may act on it. Each action posts a form (CSRF-checked by the blueprint) and redirects back
with a notice (``?done=ACTION&insight=ID``); a refused action shows the insight again with the
message and its 4xx status.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, redirect, render_template, request, url_for

from api import get_store
from api.web import READERS, PageError, bp, current_user, page, safe_next
from voc.errors import Conflict, InputError

#: the status filter: open (new or acknowledged, the default), one status, or all
STATUS_FILTERS = ("open", "new", "acknowledged", "resolved", "all")
PER_PAGE = 50
MAX_NOTE = 5000
INSIGHT_ID = "int(max=9223372036854775807)"


def can_read(user: dict, department: str | None) -> bool:
    return user["role"] != "department" or user["department"] == department


def can_act(user: dict, department: str | None) -> bool:
    """Admins, and department keys on their own department's insights (as PATCH /api/v1/insights)."""
    return user["role"] == "admin" or (user["role"] == "department" and user["department"] == department)


def why_read_only(user: dict, department: str | None) -> str:
    return (f"You are reading this as {user['role']}: only {department or 'its department'}'s department keys "
            "and admins can acknowledge, resolve or re-route its insights.")


def status_of(insight: dict) -> str:
    """``open`` is what older databases call a new insight."""
    return "new" if insight["status"] in ("open", "new") else insight["status"]


def _arg(name: str, choices: tuple[str, ...] | list[str] | None = None) -> str | None:
    value = (request.args.get(name) or "").strip()[:64] or None
    return value if choices is None or value in choices else None


@bp.get("/inbox")
@bp.get("/inbox/<department>")
@page(*READERS, "department")
def inbox(department: str | None = None):
    user, store = current_user(), get_store()
    if department is None:
        if user["role"] != "department":
            return render_template("inbox_index.html", departments=store.list_departments())
        department = user["department"]  # a department key's inbox is its own
    if not can_read(user, department):
        raise PageError(403, f"this key opens the {user['department']} inbox only, not {department!r}")
    if not store.department_exists(department):
        raise PageError(404, f"no department named {department!r}")
    facets = store.inbox_facets(department)
    status = _arg("status", STATUS_FILTERS) or "open"
    severity, kind = _arg("severity", facets["severities"]), _arg("kind", facets["kinds"])
    try:
        page_no = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page_no = 1
    items = store.inbox(department, status=None if status == "all" else status, severity=severity, kind=kind,
                        offset=(page_no - 1) * PER_PAGE, limit=PER_PAGE + 1)
    filters = {"status": status, "severity": severity, "kind": kind}
    return render_template(
        "inbox.html", department=department, insights=items[:PER_PAGE], more=len(items) > PER_PAGE,
        page_no=page_no, filters=filters, facets=facets, statuses=STATUS_FILTERS,
        departments=[d["name"] for d in store.list_departments()], can_act=can_act(user, department),
        read_only=why_read_only(user, department), status_of=status_of, notice=_notice(),
        here=request.full_path.rstrip("?"))


@bp.get(f"/insights/<{INSIGHT_ID}:insight_id>")
@page(*READERS, "department")
def insight(insight_id: int):
    return _insight_page(insight_id)


def _insight_page(insight_id: int, *, error: str | None = None, status: int = 200, note: str = ""):
    user, store = current_user(), get_store()
    record = store.get_insight(insight_id)  # NotFound: a 404 page
    if not can_read(user, record["department"]):
        raise PageError(403, f"insight {insight_id} is not in the {user['department']} inbox")
    return render_template(
        "insight.html", i=record, evidence=store.insight_evidence(insight_id), events=record["events"],
        departments=[d["name"] for d in store.list_departments()], can_act=can_act(user, record["department"]),
        read_only=why_read_only(user, record["department"]), status_of=status_of, notice=_notice(),
        error=error, note=note, here=url_for("dashboard.insight", insight_id=insight_id)), status


def _notice() -> dict | None:
    done, insight_id = _arg("done", ("acknowledged", "resolved", "rerouted")), request.args.get("insight", "")
    if not done or not insight_id.isdigit():
        return None
    return {"done": done, "insight": int(insight_id), "to": _arg("to")}


def _back(insight_id: int, department: str | None, **notice: str) -> str:
    """Where the form came from (a same-site path), with the notice; else the insight's inbox."""
    target = safe_next(request.form.get("next")) or (
        url_for("dashboard.inbox", department=department) if department else url_for("dashboard.inbox"))
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("done", "insight", "to")]
    query += [("insight", str(insight_id)), *notice.items()]
    fragment = f"insight-{insight_id}" if parts.path.startswith("/inbox") else ""
    return urlunsplit(("", "", parts.path, urlencode(query), fragment))


def _acting_on(insight_id: int) -> tuple[dict, dict, str | None]:
    """The signed-in key, the insight's row, and the note sent; 404 / 403 as the JSON API answers."""
    user, store = current_user(), get_store()
    rows = list(store.db.query("select id, department from insights where id = ?", [insight_id]))
    if not rows:
        raise PageError(404, f"no insight with id {insight_id}")
    if not can_act(user, rows[0]["department"]):
        raise PageError(403, why_read_only(user, rows[0]["department"]))
    note = (request.form.get("note") or "").strip() or None
    return user, rows[0], note


@bp.post(f"/insights/<{INSIGHT_ID}:insight_id>/status")
@page(*READERS, "department")
def insight_status(insight_id: int):
    """Acknowledge (``status=acknowledged``) or resolve (``status=resolved``, with a ``note``)."""
    user, row, note = _acting_on(insight_id)
    status = request.form.get("status")
    try:
        if status not in ("acknowledged", "resolved"):
            raise InputError(f"status must be 'acknowledged' or 'resolved', found {status!r:.40}")
        if note and len(note) > MAX_NOTE:
            raise InputError(f"the note is longer than {MAX_NOTE} characters. Fix: shorten it")
        get_store().set_insight_status(insight_id, status, actor=user["name"], note=note,
                                       config=current_app.extensions["voc"].config)
    except (InputError, Conflict) as exc:
        return _insight_page(insight_id, error=exc.message, status=exc.status, note=note or "")
    return redirect(_back(insight_id, row["department"], done=status))


@bp.post(f"/insights/<{INSIGHT_ID}:insight_id>/route")
@page(*READERS, "department")
def insight_route(insight_id: int):
    """Send the insight to ``department``'s inbox, where it is new again."""
    user, row, note = _acting_on(insight_id)
    department = (request.form.get("department") or "").strip()
    try:
        if not department:
            raise InputError("choose the department to send the insight to")
        if note and len(note) > MAX_NOTE:
            raise InputError(f"the note is longer than {MAX_NOTE} characters. Fix: shorten it")
        get_store().reroute_insight(insight_id, department, actor=user["name"], note=note,
                                    config=current_app.extensions["voc"].config)
    except (InputError, Conflict) as exc:
        return _insight_page(insight_id, error=exc.message, status=exc.status, note=note or "")
    if user["role"] == "department":  # it left this key's inbox: back there, not to a page it cannot read
        target = url_for("dashboard.inbox", department=user["department"], insight=insight_id, done="rerouted",
                         to=department)
        return redirect(target)
    return redirect(_back(insight_id, row["department"], done="rerouted", to=department))
