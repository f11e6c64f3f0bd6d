"""The OpenAPI description is generated from the routes, is valid, and survives schemathesis."""

import pytest

from tests.api_seed import auth, make_key, seed

SPEC_ROUTES = {
    ("get", "/healthz"), ("get", "/api/v1/openapi.json"), ("post", "/api/v1/documents"), ("post", "/api/v1/uploads"),
    ("get", "/api/v1/jobs/{job_id}"), ("get", "/api/v1/documents/{doc_id}"), ("get", "/api/v1/documents"),
    ("get", "/api/v1/themes"), ("get", "/api/v1/themes/{theme_id}"), ("get", "/api/v1/promises"),
    ("post", "/api/v1/promises"), ("patch", "/api/v1/promises/{promise_id}"), ("delete", "/api/v1/promises/{promise_id}"),
    ("get", "/api/v1/promises/gaps"), ("get", "/api/v1/departments"), ("get", "/api/v1/departments/{name}/insights"),
    ("patch", "/api/v1/insights/{insight_id}"), ("get", "/api/v1/search"),
}


def test_api_openapi_is_valid_and_describes_every_route(app, client):
    from openapi_spec_validator import validate
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    described = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert SPEC_ROUTES <= described
    served = {(m.lower(), r.rule) for r in app.url_map.iter_rules() if r.rule.startswith("/api/")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert len(served) == sum(1 for p in described if p[1].startswith("/api/"))  # nothing served undescribed
    search = doc["paths"]["/api/v1/search"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {"q", "from", "to", "kind", "theme", "department",
                                                         "sentiment", "limit", "cursor"}
    assert search["security"] == [{"bearer": []}] and "401" in search["responses"]
    assert "Roles:" in search["description"]


def test_api_openapi_follows_new_routes(app):
    """Generated, not hand-kept: a route added to the app appears with its declaration."""
    from api.openapi import Param, build, spec
    from api.auth import require

    @spec("A probe", params=(Param("x", {"type": "integer"}),))
    @require("analyst")
    def probe():
        """Probe docstring."""
        return "ok"
    app.add_url_rule("/api/v1/probe/<int:n>", view_func=probe)
    op = build(app)["paths"]["/api/v1/probe/{n}"]["get"]
    assert op["summary"] == "A probe" and op["description"].startswith("Probe docstring.")
    assert [p["name"] for p in op["parameters"]] == ["n", "x"] and op["parameters"][0]["schema"]["type"] == "integer"


def test_api_openapi_schemathesis_finds_no_server_error(app, store):
    """Every operation, fuzzed from its own declaration with an admin key over seeded data: no 5xx,
    and every answer has a status, content type and body its declaration allows."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                     status_code_conformance)

    seed(store)
    headers = auth(make_key(app, "admin"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, ran = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance,
                                                            content_type_conformance, response_schema_conformance])
        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - gather every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
        ran += 1
    assert ran >= len(SPEC_ROUTES)
    assert not failures, "\n\n".join(failures)
