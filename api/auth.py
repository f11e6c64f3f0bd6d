"""API keys: ``Authorization: Bearer KEY``; 401 without a valid key, 403 without the right role."""

from __future__ import annotations

import functools
from typing import Callable

from flask import current_app, g, request

from api import get_store
from api.ratelimit import TooManyRequests
from voc.errors import VocError


class Unauthorized(VocError):
    code, status = "unauthorized", 401


class Forbidden(VocError):
    code, status = "forbidden", 403


def _limits() -> dict:
    return current_app.extensions["voc"].state


def check_auth_failures() -> None:
    """429 while this address has used up its failed authentications for the minute."""
    wait = _limits()["auth_failure_limit"].peek(request.remote_addr or "?")
    if wait:
        raise TooManyRequests("too many failed authentications from this address; wait and try again", wait)


def note_auth_failure() -> None:
    _limits()["auth_failure_limit"].take(request.remote_addr or "?")


def current_key() -> dict:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    check_auth_failures()
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("an API key is required: send `Authorization: Bearer KEY` (create one with "
                           "`voc keys create`)")
    row = get_store().verify_api_key(key.strip())
    if row is None:
        note_auth_failure()
        raise Unauthorized("the API key is not valid or has been revoked")
    g.key_name = row["name"]
    wait = _limits()["key_limit"].take(f"key:{row['id']}")
    if wait:
        raise TooManyRequests(f"this key has made more than {_limits()['key_limit'].per_minute} requests in a "
                              "minute; wait and try again", wait)
    return row


def require(*roles: str) -> Callable:
    """Allow keys with one of ``roles`` (admin is always allowed)."""
    allowed = set(roles) | {"admin"}

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(*args, **kwargs):
            key = current_key()
            if key["role"] not in allowed:
                raise Forbidden(f"a {key['role']} key may not do this (needs one of: {', '.join(sorted(allowed))})")
            g.key = key
            return view(*args, **kwargs)
        inner._roles = allowed
        return inner
    return wrap


#: roles that read every view (documents, themes, promises, gaps, every inbox, search, jobs); not key management
READERS = ("analyst", "marketing", "product", "contact_center")


def actor() -> str:
    """The name of the key making this request, as the audit log records it."""
    return g.key["name"]


def check_department(name: str) -> None:
    """A department key reaches only its own department."""
    key = g.key
    if key["role"] == "department" and key["department"] != name:
        raise Forbidden(f"this key opens the {key['department']} inbox only, not {name!r}")
