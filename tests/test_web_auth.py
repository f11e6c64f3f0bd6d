"""Dashboard sign-in: session cookie from an API key, CSRF on every POST, pages by role."""

from __future__ import annotations

import pytest

from tests.api_seed import make_key, seed
from tests.web_seed import csrf_of, sign_in


def test_pages_send_a_visitor_to_sign_in(client):
    response = client.get("/themes")
    assert response.status_code == 302 and "/signin?next=/themes" in response.headers["Location"]
    page = client.get("/signin")
    assert page.status_code == 200 and b'name="key"' in page.data and b"<label for=\"key\">" in page.data


def test_sign_in_with_a_key_then_out(app, client):
    key = make_key(app, "analyst", name="ana")
    token = csrf_of(client.get("/signin").data)
    response = client.post("/signin", data={"key": key, "csrf_token": token, "next": "/themes"})
    assert response.status_code == 302 and response.headers["Location"] == "/themes"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and key not in cookie
    page = client.get("/")
    assert page.status_code == 200 and b"ana" in page.data and b"Sign out" in page.data
    out = client.post("/signout", data={"csrf_token": csrf_of(page.data)})
    assert out.status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_key_is_refused_with_a_message(client):
    token = csrf_of(client.get("/signin").data)
    response = client.post("/signin", data={"key": "voc_not-a-key", "csrf_token": token})
    assert response.status_code == 401 and b"not valid" in response.data


def test_posts_without_the_csrf_token_are_refused(app, client):
    key = make_key(app, "analyst")
    client.get("/signin")
    response = client.post("/signin", data={"key": key})
    assert response.status_code == 400 and b"reload the page" in response.data
    sign_in(app, client, "analyst", name="other")
    assert client.post("/signout", data={}).status_code == 400
    assert client.post("/signout", data={}, headers={"Accept": "application/json"}).json["error"]["code"] == "bad_request"


def test_sign_in_never_redirects_off_site(app, client):
    key = make_key(app, "analyst")
    token = csrf_of(client.get("/signin").data)
    response = client.post("/signin", data={"key": key, "csrf_token": token, "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_a_revoked_key_ends_its_session(app, client):
    sign_in(app, client, "analyst", name="leaver")
    assert client.get("/").status_code == 200
    store = app.extensions["voc"].open_store()
    store.revoke_api_key("leaver")
    store.close()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("role, department, home", [("marketing", None, "/promises"), ("product", None, "/themes"),
                                                    ("contact_center", None, "/agents"),
                                                    ("department", "billing", "/inbox"), ("admin", None, "/")])
def test_each_role_lands_on_its_page_and_sees_its_navigation(app, client, role, department, home):
    key = make_key(app, role, department=department)
    token = csrf_of(client.get("/signin").data)
    assert client.post("/signin", data={"key": key, "csrf_token": token}).headers["Location"] == home
    page = client.get("/").data.decode()
    nav = page.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert ("Upload" in nav) == (role in ("admin", "contact_center"))
    assert ("Themes" in nav) == (role != "department")
    assert "Inbox" in nav


def test_a_department_key_may_not_open_reader_pages(app, client):
    sign_in(app, client, "department", department="billing")
    response = client.get("/themes")
    assert response.status_code == 403 and b"Not allowed" in response.data


def test_pages_answer_404_as_html_and_api_paths_as_json(app, client):
    sign_in(app, client, "analyst")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html" and b"Not found" in page.data
    assert client.get("/api/v1/no-such").is_json


def test_overview_with_data_shows_charts_and_gaps(app, client):
    store = app.extensions["voc"].open_store()
    seed(store)
    store.close()
    sign_in(app, client, "analyst")
    page = client.get("/").data.decode()
    assert 'data-chart="' in page and "Volume and sentiment by week" in page
    assert "Refunds are processed within 5 business days" in page and "2 of 3" in page
    assert "billing" in page
