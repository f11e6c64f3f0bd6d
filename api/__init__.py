"""The voc web application: JSON API under /api/v1 and the dashboard (SPEC.md section 5).

``create_app(config)`` builds it; per-app objects live in ``app.extensions["voc"]``; each request
opens its own database connection. Nothing heavy is imported here: read-only paths never load the
models.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask, g, request

from voc.config import VocConfig

log = logging.getLogger("voc.api")


@dataclass(frozen=True)
class VocApp:
    """What the application shares between requests: its configuration."""

    config: VocConfig

    def open_store(self):
        from voc.store import VocStore
        return VocStore(self.config.db_path, migrate=False)


def create_app(config: VocConfig | None = None, test_config: dict | None = None) -> Flask:
    from voc.store import VocStore

    config = config or VocConfig.load()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=config.server.max_upload_mb * 1024 * 1024, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    with VocStore(config.db_path) as store:  # migrate once, at start
        store.sync_config(config)
    app.extensions["voc"] = VocApp(config)

    from api import dashboard, documents, errors, health
    errors.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(dashboard.bp)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        took = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s %.1fms key=%s", request.method, request.path, response.status_code, took,
                 getattr(g, "key_name", "-"))
        return response

    @app.teardown_appcontext
    def _close_store(exc: BaseException | None) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.close()

    return app


def get_store():
    """The request's database connection, opened on first use."""
    if "store" not in g:
        from flask import current_app
        g.store = current_app.extensions["voc"].open_store()
    return g.store
