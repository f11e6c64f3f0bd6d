"""The job worker: takes jobs from the durable queue (``jobs`` table) and runs them.

``Worker(config).start()`` runs it in a daemon thread beside the web server; ``voc worker`` runs
``Worker(config).run_forever()`` in its own process. Any number of workers may share one database:
claiming a job is atomic. While a job runs, a heartbeat thread stamps it every few seconds; a job
whose heartbeat stops (the process died) is re-queued by the next worker that looks, so queued and
interrupted work resumes after a restart. The analysis itself is incremental, so a resumed job only
does what is left.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import TYPE_CHECKING, Callable

from voc.errors import VocError

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.store import VocStore

log = logging.getLogger("voc.worker")

JobHandler = Callable[["VocStore", "VocConfig", dict, Callable[[int, int], None]], object]


def analyze_job(store: "VocStore", config: "VocConfig", payload: dict,
                progress: Callable[[int, int], None]) -> dict:
    from voc.analysis import run_analysis
    summary = run_analysis(store, config, refit=bool(payload.get("refit")), on_progress=progress)
    return {"analysed": summary.analysed, "failed": summary.failed, "sentences": summary.sentences,
            "summary": summary.line()}


HANDLERS: dict[str, JobHandler] = {"analyze": analyze_job}


class Worker:
    """Processes queued jobs. ``heartbeat_s``: how often a running job is stamped; a job not stamped
    for ``stale_after_s`` is taken to be orphaned and re-queued."""

    def __init__(self, config: "VocConfig", *, poll_s: float = 1.0, heartbeat_s: float = 5.0,
                 stale_after_s: float = 20.0, handlers: dict[str, JobHandler] | None = None):
        self.config = config
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.stale_after_s = stale_after_s
        self.handlers = dict(HANDLERS if handlers is None else handlers)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> "Worker":
        """Run in a daemon thread; returns at once."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run_forever, name="voc-worker", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the loop -----------------------------------------------------------------------------------
    def run_forever(self) -> None:
        log.info("worker started on %s", self.config.db_path)
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # noqa: BLE001 - the worker must outlive a bad job or a locked database
                log.exception("worker loop error; retrying")
                worked = False
            if not worked:
                self.deliver_webhooks()
                self._wake.wait(self.poll_s)
                self._wake.clear()
        log.info("worker stopped")

    def deliver_webhooks(self) -> int:
        """Send the webhooks that are due from the durable outbox (retries back off); how many were sent."""
        if not any(d.webhook for d in self.config.departments):
            return 0
        try:
            from voc.insights.delivery import deliver_pending
            from voc.store import VocStore
            with VocStore(self.config.db_path) as store:
                return deliver_pending(store, self.config).delivered
        except Exception:  # noqa: BLE001 - a failing endpoint or locked database is retried next time
            log.exception("webhook delivery failed; retrying later")
            return 0

    def run_pending(self) -> int:
        """Run jobs until the queue is empty; return how many ran (``voc worker --once``)."""
        n = 0
        while self.run_once():
            n += 1
        self.deliver_webhooks()
        return n

    def run_once(self) -> bool:
        """Claim and run one job; False when there was none."""
        from voc.store import VocStore
        with VocStore(self.config.db_path) as store:
            for job_id in store.requeue_stale_jobs(self.stale_after_s):
                log.warning("job %s lost its worker; re-queued", job_id)
            job = store.claim_job(tuple(self.handlers))
            if job is None:
                return False
            self._run(store, job)
        return True

    def _run(self, store: "VocStore", job: dict) -> None:
        import json
        job_id = job["id"]
        log.info("job %s (%s) started", job_id, job["kind"])
        beating = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job_id, beating), name=f"voc-heartbeat-{job_id}",
                                daemon=True)
        beat.start()
        try:
            handler = self.handlers[job["kind"]]
            result = handler(store, self.config, json.loads(job["payload"] or "{}"),
                             lambda done, total: store.job_progress(job_id, done=done, total=total))
        except (KeyboardInterrupt, SystemExit):  # stopped: hand the job back at once, not after the stale timeout
            store.release_job(job_id)
            log.warning("job %s interrupted; back in the queue", job_id)
            raise
        except VocError as exc:
            store.fail_job(job_id, exc.message)
            log.error("job %s failed: %s", job_id, exc.message)
        except Exception as exc:  # noqa: BLE001 - recorded on the job for whoever polls it
            store.fail_job(job_id, f"{type(exc).__name__}: {exc}")
            log.error("job %s failed: %s", job_id, traceback.format_exc())
        else:
            store.finish_job(job_id, result)
            log.info("job %s done: %s", job_id, result)
        finally:
            beating.set()
            beat.join(timeout=5)

    def _heartbeat(self, job_id: str, done: threading.Event) -> None:
        from voc.store import VocStore
        with VocStore(self.config.db_path, migrate=False) as store:
            while not done.wait(self.heartbeat_s):
                try:
                    store.job_progress(job_id)
                except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                    log.warning("heartbeat of job %s failed", job_id, exc_info=True)
