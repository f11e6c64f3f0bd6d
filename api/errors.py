"""Every error as ``{"error": {"code", "message"}}`` (SPEC.md section 5); never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from voc.errors import VocError

log = logging.getLogger("voc.api")


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def _page(status: int, message: str):
    """Pages (not /api/) get an HTML error page, unless a script asked for JSON."""
    if request.path.startswith(("/api/", "/healthz")) or (request.blueprint or "dashboard") != "dashboard":
        return None
    from api.web import wants_json
    if wants_json():
        return None
    try:
        return render_template("error.html", status=status, message=message), status
    except Exception:  # the page itself failed (e.g. no database): fall back to JSON
        log.exception("could not render the error page")
        return None


def register(app: Flask) -> None:
    @app.errorhandler(VocError)
    def _voc_error(exc: VocError):
        response = _page(exc.status, exc.message) or error_response(exc.status, exc.code, exc.message)
        retry = getattr(exc, "retry_after", None)
        if retry is not None:
            if isinstance(response, tuple):
                response = make_response(*response)
            response.headers["Retry-After"] = str(retry)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            return error_response(413, "payload_too_large",
                                  f"the request is larger than the {limit // 2**20} MB limit")
        page = _page(exc.code or 500, exc.description or exc.name)
        if page is not None:
            return page
        return error_response(exc.code or 500, _code(exc), exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = "something went wrong on the server; it has been logged"
        return _page(500, message) or error_response(500, "internal_error", message)
