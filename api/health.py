"""Liveness, no auth."""

from flask import Blueprint, jsonify

from api import get_store
from voc import __version__

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    store = get_store()
    return jsonify({"status": "ok", "version": __version__, "schema": store.schema_version()})
