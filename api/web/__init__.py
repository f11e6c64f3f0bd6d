"""The dashboard: server-rendered pages (Flask + Jinja) for people rather than programs.

Sign-in takes an API key once and keeps a signed session cookie (HttpOnly, SameSite=Lax) holding the
key's id, never the key itself; every request re-reads the key, so a revoked key signs its sessions
out. Every state-changing request (POST) carries the session's CSRF token, as a form field
``csrf_token`` or an ``X-CSRF-Token`` header. Navigation follows the key's role, with the same rights
as the JSON API (SPEC.md section 5).

The pages live in the modules imported at the bottom; each registers its views on :data:`bp` with
:func:`page`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import os
import secrets
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for

from api import get_store
from voc import __version__

bp = Blueprint("dashboard", __name__)

#: roles that read every page (as READERS in api.auth); admin may do everything
READERS = ("analyst", "marketing", "product", "contact_center")

#: (endpoint, label, roles allowed besides admin): the navigation, in order
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dashboard.overview", "Overview", (*READERS, "department")),
    ("dashboard.themes", "Themes", READERS),
    ("dashboard.search", "Search", READERS),
    ("dashboard.promises", "Promise gaps", READERS),
    ("dashboard.inbox", "Inbox", (*READERS, "department")),
    ("dashboard.upload", "Upload", ("contact_center",)),
    ("dashboard.agents", "Agents", READERS),
)

#: where each role lands after signing in
HOME = {"marketing": "dashboard.promises", "product": "dashboard.themes", "contact_center": "dashboard.agents",
        "department": "dashboard.inbox"}


def init_app(app: Flask, db_path: Path) -> None:
    """Session settings and the signing secret: $VOC_SECRET_KEY, else a random one kept beside the
    database (mode 0600) so that sessions survive a restart."""
    secret = os.environ.get("VOC_SECRET_KEY")
    if not secret:
        path = db_path.parent / f"{db_path.name}.secret"
        if path.exists():
            secret = path.read_text().strip()
        if not secret:
            secret = secrets.token_urlsafe(48)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secret)
    app.secret_key = secret
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="voc_session",
                      PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12))


# -- who is signed in ---------------------------------------------------------------------------------
def current_user() -> dict | None:
    """The signed-in key's row (id, name, role, department), or None; a revoked key ends the session."""
    if "user" in g:
        return g.user
    user = None
    key_id = session.get("key_id")
    if key_id is not None:
        rows = list(get_store().db.query("select id, name, role, department from api_keys "
                                         "where id = ? and revoked_at is null", [key_id]))
        if rows:
            user = rows[0]
        else:
            session.clear()
    g.user = user
    return user


def allowed(user: dict | None, roles: tuple[str, ...]) -> bool:
    return user is not None and (user["role"] == "admin" or user["role"] in roles)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or request.path.endswith(".json")


class PageError(Exception):
    """A page-level error shown as an HTML page (or JSON to scripts) with its status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def page(*roles: str) -> Callable:
    """A view for signed-in keys with one of ``roles`` (admin always): others are sent to sign in
    (401 for scripts) or shown a 403 page."""
    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(*args, **kwargs):
            user = current_user()
            if user is None:
                if wants_json():
                    raise PageError(401, "sign in first")
                return redirect(url_for("dashboard.signin", next=request.full_path.rstrip("?")))
            if not allowed(user, roles):
                raise PageError(403, f"a {user['role']} key may not open this page")
            return view(*args, **kwargs)
        inner._roles = roles
        return inner
    return wrap


@bp.before_request
def _check_csrf() -> None:
    """State-changing dashboard requests must carry the session's token (the JSON API uses keys)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent, expected):
        raise PageError(400, "the form has expired or did not come from this site: reload the page and try again")


@bp.app_errorhandler(PageError)
def _page_error(exc: PageError):
    if wants_json():
        from api.errors import error_response
        code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(exc.status, "error")
        return error_response(exc.status, code, exc.message)
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


@bp.app_context_processor
def _globals() -> dict:
    if request.path.startswith("/api/"):
        return {}
    user = current_user() if session.get("key_id") is not None else None
    nav = [(endpoint, label) for endpoint, label, roles in NAV if allowed(user, roles)]
    return {"user": user, "nav": nav, "csrf_token": csrf_token, "version": __version__}


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another host after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# -- sign in and out ----------------------------------------------------------------------------------
@bp.route("/signin", methods=["GET", "POST"])
def signin():
    error = None
    if request.method == "POST":
        from api.auth import check_auth_failures, note_auth_failure
        check_auth_failures()
        key = (request.form.get("key") or "").strip()
        row = get_store().verify_api_key(key) if key else None
        if row is None:
            note_auth_failure()
            error = "That key is not valid or has been revoked. Ask an admin for one (`voc keys create`)."
        else:
            session.clear()
            session.permanent = True
            session["key_id"] = row["id"]
            session["csrf"] = secrets.token_urlsafe(32)
            get_store().audit(row["name"], "dashboard.signin", row["name"])
            target = safe_next(request.form.get("next")) or url_for(HOME.get(row["role"], "dashboard.overview"))
            return redirect(target)
    return render_template("signin.html", error=error, next=safe_next(request.args.get("next")) or ""), \
        (401 if error else 200)


@bp.post("/signout")
def signout():
    session.clear()
    return redirect(url_for("dashboard.signin"))


def not_found(what: str) -> PageError:
    return PageError(404, what)


from api.web import agents, inbox, overview, promises, themes, upload  # noqa: E402,F401  (register their views)
