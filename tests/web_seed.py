"""Helpers for the dashboard tests: sign a test client in with a fresh key of a role."""

from __future__ import annotations

import re

from tests.api_seed import make_key


def csrf_of(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    found = re.search(r'name="csrf-token" content="([^"]+)"', text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(app, client, role: str = "admin", department: str | None = None, name: str | None = None):
    """Sign ``client`` in with a new key; return the CSRF token of its session."""
    key = make_key(app, role, department=department, name=name)
    token = csrf_of(client.get("/signin").data)
    response = client.post("/signin", data={"key": key, "csrf_token": token})
    assert response.status_code == 302, response.data[:500]
    return csrf_of(client.get("/").data if role != "department" else client.get("/inbox").data)
