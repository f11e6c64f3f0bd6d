"""The voc web application: JSON API under /api/v1 and the dashboard (SPEC.md section 5).

``create_app(config)`` builds it; per-app objects live in ``app.extensions["voc"]``; each request
opens its own database connection. Nothing heavy is imported here: read-only paths never load the
models.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, g, request

from voc.config import VocConfig

log = logging.getLogger("voc.api")


@dataclass(frozen=True)
class VocApp:
    """What the application shares between requests: its configuration, the job worker started
    with it (if any) and caches (``state``, e.g. the semantic search index)."""

    config: VocConfig
    worker: Any = None
    state: dict = field(default_factory=dict)

    def open_store(self):
        from voc.store import VocStore
        return VocStore(self.config.db_path, migrate=False)

    @property
    def spool_dir(self) -> Path:
        """Where uploads wait while they are read (removed afterwards; rejected files go to quarantine)."""
        return self.config.db_path.parent / f"{self.config.db_path.name}.spool"

    def wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.wake()


def create_app(config: VocConfig | None = None, test_config: dict | None = None, *,
               worker: bool | None = None) -> Flask:
    """The application. ``worker``: start a job worker thread beside it (default: yes, unless testing)."""
    from voc.store import VocStore

    config = config or VocConfig.load()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=config.server.max_upload_mb * 1024 * 1024, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    with VocStore(config.db_path) as store:  # migrate once, at start
        store.sync_config(config)
    if worker is None:
        worker = not app.testing and app.config.get("VOC_WORKER", True)
    job_worker = None
    if worker:
        from voc.worker import Worker
        job_worker = Worker(config).start()
    app.extensions["voc"] = VocApp(config, worker=job_worker)
    from api.ratelimit import Buckets
    app.extensions["voc"].state.update(key_limit=Buckets(config.server.rate_limit),
                                       auth_failure_limit=Buckets(config.server.auth_failures))

    from api import departments, documents, errors, health, intake, keys, openapi, promises, search, themes, web
    errors.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(themes.bp)
    app.register_blueprint(promises.bp)
    app.register_blueprint(departments.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(keys.bp)
    web.init_app(app, config.db_path)
    app.register_blueprint(web.bp)
    if worker:  # serving for real: have semantic search ready before its first query
        search.warm_up(app)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or secrets.token_hex(8)

    @app.after_request
    def _log_request(response):
        took = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        response.headers["X-Request-ID"] = g.get("request_id", "")
        log.info(json.dumps({"event": "request", "request_id": g.get("request_id"), "method": request.method,
                             "path": request.path, "status": response.status_code, "ms": round(took, 1),
                             "bytes": response.calculate_content_length(), "key": getattr(g, "key_name", None),
                             "remote": request.remote_addr}))
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
