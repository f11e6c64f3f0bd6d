"""Promise gaps (marketing): how often each registered promise is reported broken, its weekly trend,
what was promised against what customers report, examples; the broken commitments that match no
promise and the candidate promises found among them; adding, editing and removing promises.

Reading is open to every reading role; the registry is kept by marketing (and admin), as in the
JSON API (:data:`api.promises.EDITORS`). Forms post back here and redirect after a success
(``?saved=ID`` / ``?deleted=ID`` show a notice); a refused form is shown again with the user's input,
the store's message and its 4xx status.
"""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from api import get_store
from api.intake import queue_analysis
from api.promises import EDITORS
from api.web import READERS, allowed, bp, current_user, page
from api.web.overview import chart
from voc.errors import Conflict, InputError
from voc.store.catalog import parse_quantity
from voc.store.reports import week_range

#: the form's fields, in order (``id`` cannot change once the promise exists)
FIELDS = ("id", "text", "department", "target", "channel", "valid_from", "valid_to")
#: documents a recurring unregistered commitment needs before it is offered as a candidate
MIN_MENTIONS = 3
MAX_FIELD = 2000


def can_edit() -> bool:
    return allowed(current_user(), EDITORS)


def quantity(q: dict | None) -> str:
    """A typical value as words: a median of :meth:`promise_gaps` (``{"median": 7.0, "unit": "days"}``
    → "7 days") or a candidate's (``{"value": 9.5, "unit": "hours"}``: a time of day → "09:30")."""
    if not q:
        return "–"
    value, unit = q.get("median", q.get("value")), q["unit"]
    if unit == "date" or isinstance(value, str):
        return str(value)
    if unit == "days":
        if value < 1:
            hours = value * 24
            return f"{hours:.0f} hour{'s' if round(hours) != 1 else ''}" if hours >= 1 else f"{value * 1440:.0f} min"
        text = f"{value:.1f}".rstrip("0").rstrip(".")
        return f"{text} day{'s' if text != '1' else ''}"
    if unit == "hours":  # a time of day, in hours after midnight
        return f"{int(value):02d}:{round((value % 1) * 60):02d}"
    amount = f"{value:,.2f}".replace(".00", "")
    return f"{unit}{amount}" if len(unit) == 1 else f"{amount} {unit}"


def _trend_weeks(gaps: list[dict], weeks: int = 26) -> list[str]:
    """One week axis for every trend chart on the page, so that charts compare."""
    seen = [t["week"] for g in gaps for t in g["trend"]]
    return week_range(min(seen), max(seen))[-weeks:] if seen else []


def _trend_chart(gap: dict, axis: list[str]) -> str | None:
    if not axis or not gap["trend"]:
        return None
    by_week = {t["week"]: t["broken"] for t in gap["trend"]}
    return chart({"type": "line", "x": [w[5:] for w in axis],
                  "series": [{"name": "documents reporting it broken", "values": [by_week.get(w, 0) for w in axis],
                              "color": "#d6502f"}]})


def _versus(gap: dict) -> dict:
    """Promised against reported for the side-by-side boxes: bar widths (% of the larger) when both
    are the same kind of quantity, and whether the promised median restates the target (a target
    of "99%" is not "$10", the median of whatever else was promised)."""
    promised, reported = gap["promised"], gap["reported"]
    target = parse_quantity(gap.get("target"))
    out = {"show_median": bool(promised) and (target is None or target[1] == promised["unit"]), "bars": None}
    if promised and reported and promised["unit"] == reported["unit"]:
        top = max(promised["median"], reported["median"]) or 1
        out["bars"] = {"promised": round(100 * promised["median"] / top, 1),
                       "reported": round(100 * reported["median"] / top, 1)}
    return out


def load_candidates(store) -> tuple[list[dict], str | None]:
    """Candidate promises from the stored embeddings (no model is loaded), or a reason there are none."""
    try:
        from voc.nlp.models import embedding_model_id
        from voc.nlp.promises.candidates import find_candidates
    except ImportError as exc:  # an installation without the clustering dependencies
        return [], f"candidate detection is not available here ({exc})"
    model = embedding_model_id(current_app.extensions["voc"].config.nlp.embedding_model)
    return find_candidates(store, model, min_mentions=MIN_MENTIONS, examples=3), None


@bp.get("/promises")
@page(*READERS)
def promises():
    store = get_store()
    gaps = store.promise_gaps(examples=3)
    registered = {p["id"]: p for p in store.list_promises()}
    axis = _trend_weeks(gaps)
    for g in gaps:
        g["trend_chart"], g["versus"] = _trend_chart(g, axis), _versus(g)
        g["record"] = registered.get(g["promise_id"])
    unregistered = next((g for g in gaps if g["promise_id"] is None), None)
    candidates, unavailable = load_candidates(store)
    return render_template(
        "promises.html", gaps=[g for g in gaps if g["promise_id"] is not None], unregistered=unregistered,
        candidates=candidates, candidates_unavailable=unavailable, min_mentions=MIN_MENTIONS,
        can_edit=can_edit(), quantity=quantity, saved=request.args.get("saved"),
        deleted=request.args.get("deleted"), added_from=request.args.get("candidate"))


# -- the registry: add, edit, remove --------------------------------------------------------------
def _form() -> dict[str, str]:
    """The submitted fields as typed (trimmed), to show again if the store refuses them."""
    return {name: (request.form.get(name) or "").strip() for name in FIELDS}


def _too_long(form: dict[str, str]) -> InputError | None:
    long = [k for k, v in form.items() if len(v) > MAX_FIELD]
    return InputError(f"`{long[0]}` is longer than {MAX_FIELD} characters. Fix: shorten it") if long else None


def _values(form: dict[str, str], fields: tuple[str, ...]) -> dict[str, str | None]:
    """What the store receives: empty fields are left unset."""
    return {k: form[k] or None for k in fields}


def _form_page(form: dict, *, promise_id: str | None = None, error: str | None = None, status: int = 200,
               candidate: str | None = None):
    departments = [d["name"] for d in get_store().list_departments()]
    return render_template("promise_form.html", form=form, promise_id=promise_id, editing=promise_id is not None,
                           error=error, departments=departments, candidate=candidate), status


@bp.get("/promises/new")
@page(*EDITORS)
def promises_new():
    """An empty form, or one filled from the query (a candidate to review before adding)."""
    form = {k: (request.args.get(k) or "").strip()[:MAX_FIELD] for k in FIELDS}
    return _form_page(form, candidate=request.args.get("candidate"))


@bp.post("/promises")
@page(*EDITORS)
def promises_create():
    form = _form()
    candidate = (request.form.get("candidate") or "").strip()[:64] or None
    store = get_store()
    try:
        if (problem := _too_long(form)) is not None:
            raise problem
        promise = store.create_promise(_values(form, FIELDS), actor=current_user()["name"])
    except (InputError, Conflict) as exc:
        return _form_page(form, error=exc.message, status=exc.status, candidate=candidate)
    reason = {"promise": promise["id"], **({"candidate": candidate} if candidate else {})}
    queue_analysis(store, reason)  # links the broken promises again, as the JSON API does
    args = {"saved": promise["id"], **({"candidate": candidate} if candidate else {})}
    return redirect(url_for("dashboard.promises", **args, _anchor=f"promise-{promise['id']}"))


@bp.get("/promises/<promise_id>/edit")
@page(*EDITORS)
def promises_edit(promise_id: str):
    promise = get_store().get_promise(promise_id)  # NotFound: a 404 page
    form = {k: promise.get(k) or "" for k in FIELDS}
    return _form_page(form, promise_id=promise_id)


@bp.post("/promises/<promise_id>")
@page(*EDITORS)
def promises_update(promise_id: str):
    store = get_store()
    store.get_promise(promise_id)
    form = {**_form(), "id": promise_id}
    try:
        if (problem := _too_long(form)) is not None:
            raise problem
        store.update_promise(promise_id, _values(form, FIELDS[1:]), actor=current_user()["name"])
    except (InputError, Conflict) as exc:
        return _form_page(form, promise_id=promise_id, error=exc.message, status=exc.status)
    queue_analysis(store, {"promise": promise_id})
    return redirect(url_for("dashboard.promises", saved=promise_id, _anchor=f"promise-{promise_id}"))


@bp.post("/promises/<promise_id>/delete")
@page(*EDITORS)
def promises_delete(promise_id: str):
    store = get_store()
    store.delete_promise(promise_id, actor=current_user()["name"])
    queue_analysis(store, {"promise": promise_id})
    return redirect(url_for("dashboard.promises", deleted=promise_id))
