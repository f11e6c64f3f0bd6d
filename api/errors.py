"""Every error as ``{"error": {"code", "message"}}`` (SPEC.md section 5); never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from voc.errors import VocError

log = logging.getLogger("voc.api")


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def register(app: Flask) -> None:
    @app.errorhandler(VocError)
    def _voc_error(exc: VocError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            return error_response(413, "payload_too_large",
                                  f"the request is larger than the {limit // 2**20} MB limit")
        if not request.path.startswith("/api/") and exc.code == 404:
            return exc
        return error_response(exc.code or 500, _code(exc), exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on the server; it has been logged")
