"""API keys over the API (admins only): create, list, revoke. The key itself is shown once."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from api import get_store
from api.auth import actor, require
from api.openapi import page_of, ref, spec
from api.params import PAGE_PARAMS, body_text, json_body, offset_page, page
from voc.errors import Conflict, InputError

bp = Blueprint("keys", __name__, url_prefix="/api/v1")


@bp.post("/keys")
@spec("Create an API key", body=ref("ApiKeyInput"), responses={201: ("The key, shown this once", ref("ApiKey"))},
      errors=(415,))
@require()
def create_key():
    """Only the key's SHA-256 is stored: save ``key`` from this answer, it cannot be shown again.
    A ``department`` key needs ``department`` (its inbox); no other role takes one."""
    body = json_body()
    unknown = set(body) - {"name", "role", "department"}
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(sorted(unknown))}. Fields: name, role, department")
    name = body_text(body, "name", required=True, max_len=200)
    role = body_text(body, "role", required=True, max_len=40)
    department = body_text(body, "department", max_len=200)
    store = get_store()
    key = store.create_api_key(name=name, role=role, department=department, actor=actor())
    row = store.verify_api_key(key)
    record = next(k for k in store.list_api_keys() if k["id"] == row["id"])
    return jsonify({**record, "key": key}), 201


@bp.get("/keys")
@spec("List API keys (never the keys themselves)", params=PAGE_PARAMS,
      responses={200: ("A page of keys", page_of("ApiKey"))})
@require()
def list_keys():
    limit, state = page()
    rows = get_store().list_api_keys()
    return jsonify(offset_page(lambda offset, n: rows[offset:offset + n], limit, state))


@bp.delete("/keys/<int(max=9223372036854775807):key_id>")
@spec("Revoke an API key", responses={200: ("The revoked key", ref("ApiKey"))}, errors=(409,))
@require()
def revoke_key(key_id: int):
    """Revoking is immediate: the next request with that key gets 401. A key cannot revoke itself
    (409), so an admin cannot lock everyone out by mistake."""
    if key_id == g.key["id"]:
        raise Conflict("this is the key making the request; revoke it with another admin key or `voc keys revoke`")
    return jsonify(get_store().revoke_api_key_id(key_id, actor=actor()))
