"""The promise registry (seeded from voc.toml, edited here) and the gaps between promise and experience."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api import get_store
from api.auth import READERS, actor, require
from api.openapi import Param, page_of, ref, spec
from api.params import FILTER_PARAMS, PAGE_PARAMS, arg_int, filters, json_body, offset_page, page

bp = Blueprint("promises", __name__, url_prefix="/api/v1")

#: marketing makes the promises, so it may keep the registry
EDITORS = ("marketing",)


@bp.get("/promises")
@spec("The promise registry", params=PAGE_PARAMS, responses={200: ("A page of promises", page_of("Promise"))})
@require(*READERS)
def list_promises():
    """Every registered promise (deleted ones are left out), by id."""
    limit, state = page()
    rows = get_store().list_promises()
    return jsonify(offset_page(lambda offset, n: rows[offset:offset + n], limit, state))


@bp.post("/promises")
@spec("Register a promise", body=ref("PromiseInput"), responses={201: ("The promise", ref("Promise"))},
      errors=(409, 415))
@require(*EDITORS)
def create_promise():
    """``id`` is a slug; ``department`` (its owner) must be a configured department. 409 when a
    promise with that id exists."""
    promise = get_store().create_promise(json_body(), actor=actor())
    return jsonify(promise), 201


@bp.get("/promises/gaps")
@spec("Promise gaps: how often each promise is reported broken", params=(*FILTER_PARAMS,
      Param("examples", {"type": "integer", "minimum": 0, "maximum": 50, "default": 3}, "examples per promise"),
      *PAGE_PARAMS), responses={200: ("A page of gaps, the most broken first", page_of("PromiseGap"))})
@require(*READERS)
def promise_gaps():
    """Per promise: ``mentions`` (documents whose findings refer to it), ``broken`` (documents
    reporting it broken), ``broken_rate``, weekly ``trend`` of breaks, the median ``promised`` and
    ``reported`` values (durations in days, amounts in their currency), recent ``examples`` and the
    ``owner`` department. Broken commitments that match no registered promise are grouped under
    ``promise_id: null``."""
    limit, state = page()
    n = arg_int("examples", 3, 0, 50)
    where, params = filters().documents_sql()
    gaps = get_store().promise_gaps(where, params, examples=n)
    return jsonify(offset_page(lambda offset, k: gaps[offset:offset + k], limit, state))


@bp.get("/promises/<promise_id>")
@spec("One promise", responses={200: ("The promise", ref("Promise"))})
@require(*READERS)
def get_promise(promise_id: str):
    return jsonify(get_store().get_promise(promise_id))


@bp.patch("/promises/<promise_id>")
@spec("Change a promise", body=ref("PromisePatch"), responses={200: ("The promise", ref("Promise"))},
      errors=(415,))
@require(*EDITORS)
def update_promise(promise_id: str):
    """Any of text, department, target, channel, valid_from, valid_to."""
    return jsonify(get_store().update_promise(promise_id, json_body(), actor=actor()))


@bp.delete("/promises/<promise_id>")
@spec("Remove a promise from the registry", responses={204: ("Removed", None)})
@require(*EDITORS)
def delete_promise(promise_id: str):
    """Its findings stay (as history); it leaves the registry and the gaps."""
    get_store().delete_promise(promise_id, actor=actor())
    return "", 204
