"""The promise registry (seeded from voc.toml, edited here) and the gaps between promise and experience."""

from __future__ import annotations

import copy

from flask import Blueprint, current_app, jsonify

from api import get_store
from api.auth import READERS, actor, require
from api.intake import queue_analysis
from api.openapi import Param, page_of, ref, spec
from api.params import FILTER_PARAMS, PAGE_PARAMS, arg_int, filters, json_body, offset_page, page
from voc.errors import NotFound

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
    store = get_store()
    promise = store.create_promise(json_body(), actor=actor())
    queue_analysis(store, {"promise": promise["id"]})  # links the broken promises again
    return jsonify(promise), 201


@bp.get("/promises/gaps")
@spec("Promise gaps: how often each promise is reported broken", params=(*FILTER_PARAMS,
      Param("examples", {"type": "integer", "minimum": 0, "maximum": 50, "default": 3}, "examples per promise"),
      *PAGE_PARAMS), responses={200: ("A page of gaps, the most broken first", page_of("PromiseGap"))})
@require(*READERS)
def promise_gaps():
    """Per promise: ``mentions`` (documents whose customer speaks of it: reporting it broken, or a
    sentence close to the promise's text without a break), ``broken`` (documents
    reporting it broken), ``broken_rate``, weekly ``trend`` of breaks, the median ``promised`` and
    ``reported`` values (durations in days, amounts in their currency), recent ``examples`` and the
    ``owner`` department. Broken commitments that match no registered promise are grouped under
    ``promise_id: null``."""
    limit, state = page()
    n = arg_int("examples", 3, 0, 50)
    where, params = filters().documents_sql()
    gaps = get_store().promise_gaps(where, params, examples=n)
    return jsonify(offset_page(lambda offset, k: gaps[offset:offset + k], limit, state))


CANDIDATE_PARAMS = (
    *FILTER_PARAMS,
    Param("min_mentions", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 3},
          "documents a recurring commitment needs to become a candidate"),
    Param("examples", {"type": "integer", "minimum": 0, "maximum": 50, "default": 3}, "examples per candidate"),
)


def _candidates() -> list[dict]:
    from voc.nlp.models import embedding_model_id
    from voc.nlp.promises.candidates import candidates_signature, find_candidates
    where, params = filters().documents_sql()
    min_mentions = arg_int("min_mentions", 3, 1, 1000)
    examples = arg_int("examples", 3, 0, 50)
    app = current_app.extensions["voc"]
    store = get_store()
    # clustering a few thousand vectors takes a second: remembered until the data or the registry change
    key = ("promise_candidates", candidates_signature(store), where, tuple(params), min_mentions, examples)
    cache = app.state.setdefault("promise_candidates", {})
    if key not in cache:
        model = embedding_model_id(app.config.nlp.embedding_model)
        if len(cache) >= 16:
            cache.pop(next(iter(cache)), None)
        cache[key] = find_candidates(store, model, where, params, min_mentions=min_mentions, examples=examples)
    return copy.deepcopy(cache[key])


@bp.get("/promises/candidates")
@spec("Candidate promises: recurring broken commitments that match no registered promise",
      params=(*CANDIDATE_PARAMS, *PAGE_PARAMS),
      responses={200: ("A page of candidates, the most mentioned first", page_of("PromiseCandidate"))})
@require(*READERS)
def promise_candidates():
    """Broken promises linked to no registered promise, clustered by meaning (their sentences'
    stored embeddings) and by the kind of quantity promised. Each cluster with at least
    ``min_mentions`` documents: a representative sentence (``text``), the commitment ``phrase``, the
    typical promised value (``target``, ``promised``: the median, or the most frequent date or time),
    ``mentions`` (documents), ``findings``, ``first_seen``/``last_seen``, the ``department`` its
    findings were routed to, ``examples``, and ``suggested``: a body for ``POST /api/v1/promises``.
    ``candidate_id`` is ``cand-`` and the id of the cluster's oldest finding. A registered candidate
    leaves the list once its broken promises are linked again (the analysis job queued on
    registration, or ``voc analyze``)."""
    limit, state = page()
    items = _candidates()
    return jsonify(offset_page(lambda offset, n: items[offset:offset + n], limit, state))


@bp.post("/promises/candidates/<candidate_id>/accept")
@spec("Register a candidate as a promise", params=CANDIDATE_PARAMS, body=ref("CandidateAccept"),
      responses={201: ("The new promise and the job linking broken promises to it", ref("AcceptedCandidate"))},
      errors=(409, 415))
@require(*EDITORS)
def accept_candidate(candidate_id: str):
    """Registers the candidate's ``suggested`` promise; the body (``{}`` for none) overrides any of
    id, text, department, target, channel, valid_from, valid_to. Give the same filter parameters
    as the list the candidate came from. 404 when no such candidate exists now (candidates change
    as documents are analysed), 409 when a promise with that id exists. Queues an analysis job
    that links the broken promises again."""
    body = json_body()
    found = next((c for c in _candidates() if c["candidate_id"] == candidate_id), None)
    if found is None:
        raise NotFound(f"no candidate {candidate_id!r} now. Fix: GET /api/v1/promises/candidates (with the same "
                       "filters) lists the current ones")
    store = get_store()
    values = {k: v for k, v in found["suggested"].items() if v is not None}
    promise = store.create_promise({**values, **body}, actor=actor())
    job_id = queue_analysis(store, {"promise": promise["id"], "candidate": candidate_id})
    return jsonify({"candidate_id": candidate_id, "promise": promise, "job_id": job_id}), 201


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
    store = get_store()
    promise = store.update_promise(promise_id, json_body(), actor=actor())
    queue_analysis(store, {"promise": promise_id})
    return jsonify(promise)


@bp.delete("/promises/<promise_id>")
@spec("Remove a promise from the registry", responses={204: ("Removed", None)})
@require(*EDITORS)
def delete_promise(promise_id: str):
    """Its findings stay (as history); it leaves the registry and the gaps."""
    store = get_store()
    store.delete_promise(promise_id, actor=actor())
    queue_analysis(store, {"promise": promise_id})
    return "", 204
