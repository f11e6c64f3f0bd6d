"""OpenAPI 3 description generated from the code.

Each API view declares itself with :func:`spec` (summary, query parameters, request body,
responses); :func:`require` in :mod:`api.auth` records the roles it lets in. :func:`build` walks the
application's URL map, so every route served under ``/api/v1`` (and ``/healthz``) is described
from the same objects that serve it: a route without a declaration still appears, with its
docstring. Served at ``GET /api/v1/openapi.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Blueprint, Flask, current_app, jsonify

from api.schemas import COMPONENTS
from voc import __version__

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

ERROR_TEXT = {400: "Bad request (a parameter or the JSON body is malformed)", 401: "No or invalid API key",
              403: "The key's role may not do this", 404: "Not found", 409: "Conflict with the current state",
              413: "Request too large", 415: "Unsupported media type", 422: "Well-formed but invalid input",
              429: "Too many requests"}
_CONVERTERS = {"int": {"type": "integer"}, "float": {"type": "number"}, "path": {"type": "string"},
               "string": {"type": "string", "minLength": 1}, "default": {"type": "string", "minLength": 1}}
_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict
    description: str = ""
    required: bool = False
    where: str = "query"

    def to_dict(self) -> dict:
        return {"name": self.name, "in": self.where, "required": self.required, "description": self.description,
                "schema": self.schema}


@dataclass
class Operation:
    summary: str
    params: tuple[Param, ...] = ()
    body: dict | None = None
    body_type: str = "application/json"
    responses: dict[int, tuple[str, dict | None]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(name: str) -> dict:
    return {"type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": ref(name)},
                           "next_cursor": {"type": ["string", "null"],
                                           "description": "pass as ?cursor= for the next page; null at the end"}}}


def spec(summary: str, *, params: tuple[Param, ...] | list[Param] = (), body: dict | None = None,
         body_type: str = "application/json", responses: dict[int, tuple[str, dict | None]] | None = None,
         errors: tuple[int, ...] = (), tags: tuple[str, ...] = ()) -> Callable:
    """Declare a view's OpenAPI operation; the view's docstring becomes its description."""
    def mark(view: Callable) -> Callable:
        view._openapi = Operation(summary, tuple(params), body, body_type, dict(responses or {}), errors, tags)
        return view
    return mark


def _error(status: int) -> dict:
    return {"description": ERROR_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": ref("Error")}}}


def _operation(view: Callable, rule_args: list[Param], tag: str) -> dict:
    op: Operation = getattr(view, "_openapi", None) or Operation(summary=(view.__doc__ or view.__name__).split("\n")[0])
    roles = getattr(view, "_roles", None)
    doc = (view.__doc__ or "").strip()
    if roles is not None:
        doc += f"\n\nRoles: {', '.join(sorted(roles))}."
    out: dict[str, Any] = {"operationId": view.__name__, "summary": op.summary, "tags": list(op.tags or (tag,))}
    if doc:
        out["description"] = doc
    params = [*rule_args, *op.params]
    if params:
        out["parameters"] = [p.to_dict() for p in params]
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {op.body_type: {"schema": op.body}}}
    responses: dict[str, Any] = {}
    for status, (text, schema) in (op.responses or {200: ("OK", None)}).items():
        responses[str(status)] = {"description": text}
        if schema is not None:
            responses[str(status)]["content"] = {"application/json": {"schema": schema}}
    errors = set(op.errors)
    if params or op.body is not None:
        errors.add(400)
    if op.body is not None:
        errors.add(422)
    if rule_args:
        errors.add(404)
    if roles is not None:
        errors |= {401, 403, 429}
        out["security"] = [{"bearer": []}]
    else:
        out["security"] = []
    for status in sorted(errors):
        responses.setdefault(str(status), _error(status))
    out["responses"] = responses
    return out


def build(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every API route of ``app``."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.rule.startswith("/api/") or rule.rule == "/healthz"):
            continue
        view = app.view_functions[rule.endpoint]
        args = [Param(name, dict(_CONVERTERS.get(conv or "default", _CONVERTERS["default"])), required=True,
                      where="path") for conv, name in _ARG.findall(rule.rule)]
        path = _ARG.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(view, args, rule.endpoint.split(".")[0])
    return {
        "openapi": "3.1.0",
        "info": {"title": "voc API", "version": __version__,
                 "description": "Voice-of-Customer text mining: documents, themes, promise gaps, department inboxes "
                                "and search. Every error is {\"error\": {\"code\", \"message\"}}. Lists page with "
                                "?limit=&cursor= and return {\"items\", \"next_cursor\"}."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "an API key from `voc keys create` or "
                                                                     "POST /api/v1/keys"}},
                       "schemas": COMPONENTS},
    }


@bp.get("/openapi.json")
@spec("This OpenAPI description", responses={200: ("The OpenAPI 3.1 document", {"type": "object"})})
def openapi_json():
    """Generated from the routes and their declarations; no key needed."""
    cached = current_app.extensions.get("voc.openapi")
    if cached is None:
        cached = current_app.extensions["voc.openapi"] = build(current_app)
    return jsonify(cached)
