"""Query parameters and JSON bodies, checked: a bad value is a 400 that says what was expected."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import request

from api.openapi import Param
from voc.errors import VocError
from voc.records import KINDS, SENTIMENT_LABELS
from voc.store.browse import Filters, iso_bound

MAX_LIMIT = 200


class BadRequest(VocError):
    code, status = "invalid_parameter", 400


class BadJson(VocError):
    code, status = "invalid_json", 400


class UnsupportedMediaType(VocError):
    code, status = "unsupported_media_type", 415


DATE = {"type": "string", "description": "ISO 8601 date or date-time"}
PAGE_PARAMS = (
    Param("limit", {"type": "integer", "minimum": 1, "default": 50}, f"items per page (at most {MAX_LIMIT}; "
          "a larger value gives that many)"),
    Param("cursor", {"type": "string"}, "next_cursor of the previous page"),
)
FILTER_PARAMS = (
    Param("from", DATE, "received on or after (inclusive)"),
    Param("to", DATE, "received before (a date alone includes that whole day)"),
    Param("kind", {"enum": list(KINDS)}, "document kind"),
    Param("theme", {"type": "string"}, "theme id"),
    Param("department", {"type": "string"}, "documents routed to this department"),
    Param("sentiment", {"enum": list(SENTIMENT_LABELS)}, "sentiment label"),
    Param("source", {"type": "string"}, "documents ingested from this source (file or batch name)"),
)


def arg_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"`{name}` must be a whole number from {lo} to {hi}, found {raw!r}") from None
    if not lo <= value <= hi:
        raise BadRequest(f"`{name}` must be from {lo} to {hi}, found {value}")
    return value


def arg_choice(name: str, choices: tuple[str, ...] | list[str]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise BadRequest(f"`{name}` must be one of {', '.join(choices)}, found {raw!r}")
    return raw


def arg_text(name: str, *, max_len: int = 200) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    if len(raw) > max_len or "\x00" in raw:
        raise BadRequest(f"`{name}` must be at most {max_len} characters of text")
    return raw.strip()


def arg_date(name: str, *, end: bool = False) -> str | None:
    """An ISO 8601 bound in UTC; a date alone as ``to`` means the end of that day."""
    raw = arg_text(name, max_len=40)
    try:
        return iso_bound(raw, end=end)
    except ValueError:
        raise BadRequest(f"`{name}` must be an ISO 8601 date such as 2026-03-01 or 2026-03-01T10:00:00Z, "
                         f"found {raw!r}") from None


def filters() -> Filters:
    f = Filters(date_from=arg_date("from"), date_to=arg_date("to", end=True), kind=arg_choice("kind", KINDS),
                theme=arg_text("theme"), department=arg_text("department"),
                sentiment=arg_choice("sentiment", SENTIMENT_LABELS), source=arg_text("source"))
    if f.date_from and f.date_to and f.date_from >= f.date_to:
        raise BadRequest("`from` must be before `to`")
    return f


def encode_cursor(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def page() -> tuple[int, dict]:
    """``(limit, cursor state)``; the state is {} on the first page."""
    limit = min(arg_int("limit", 50, 1, 10**9), MAX_LIMIT)  # more than the maximum: the maximum
    raw = request.args.get("cursor")
    if not raw:
        return limit, {}
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        state = None
    if not isinstance(state, dict):
        raise BadRequest("`cursor` is not one this API gave out. Fix: pass next_cursor from the previous page "
                         "unchanged, or leave it out for the first page")
    return limit, state


def cursor_int(state: dict, key: str, default: int = 0) -> int:
    value = state.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest("`cursor` is not one this API gave out")
    return value


def offset_page(items_fn, limit: int, state: dict) -> dict:
    """Page a list computed by ``items_fn(offset, limit + 1)`` with an offset cursor."""
    offset = cursor_int(state, "o")
    items = items_fn(offset, limit + 1)
    more = len(items) > limit
    return {"items": items[:limit], "next_cursor": encode_cursor({"o": offset + limit}) if more else None}


def json_body() -> dict[str, Any]:
    """The request's JSON object; 415 for another content type, 400 when it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType(f"send JSON with `Content-Type: application/json` (found "
                                   f"{request.content_type or 'no content type'!r})")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes
        raise BadJson("the request body is nested too deeply") from None
    if body is None:
        raise BadJson("the request body is not valid JSON")
    if not isinstance(body, dict):
        raise BadJson(f"the request body must be a JSON object, found {type(body).__name__}")
    return body


def body_text(body: dict, name: str, *, required: bool = False, max_len: int = 10_000) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise VocError(f"`{name}` is required", code="invalid_input", status=422)
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_len:
        raise VocError(f"`{name}` must be a string of at most {max_len} characters, found {type(value).__name__}",
                       code="invalid_input", status=422)
    return value
