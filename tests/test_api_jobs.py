"""The durable job queue and its worker: progress, failures, restarts, and concurrent writers."""

import threading
import time

import pytest

from tests.api_seed import auth, make_key
from voc.records import Sentence
from voc.store.documents import text_hash
from voc.worker import Worker


def _wait(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def _mark_analysed(store, docs) -> None:
    """What an analysis writes: one sentence per document and its status, one transaction per batch."""
    for doc in docs:
        text = doc.text or " ".join(u.text for u in doc.utterances)
        store.save_analysis(doc.id, [Sentence(doc.id, 0, text, "customer")], sentence_hashes=[text_hash(text)],
                            segment_stage="test", pipeline={"test": "1"})


def test_api_jobs_queue_claim_progress_finish(store):
    job_id = store.enqueue_job("analyze", {"why": "test"})
    assert store.enqueue_job("analyze", coalesce=True) == job_id  # still queued: reused
    job = store.claim_job()
    assert job["id"] == job_id and store.claim_job() is None  # nobody else gets it
    assert store.enqueue_job("analyze", coalesce=True) != job_id  # running: a new one is queued
    store.job_progress(job_id, done=3, total=4)
    assert store.get_job(job_id)["progress"] == 0.75 and store.get_job(job_id)["status"] == "running"
    store.finish_job(job_id, {"analysed": 4})
    done = store.get_job(job_id)
    assert done["status"] == "done" and done["progress"] == 1.0 and done["result"] == {"analysed": 4}


def test_api_jobs_stale_running_job_is_requeued_then_given_up(store):
    job_id = store.enqueue_job("analyze")
    for attempt in range(1, 4):
        assert store.claim_job()["id"] == job_id
        store.conn.execute("update jobs set heartbeat_at = '2000-01-01T00:00:00+00:00' where id = ?", [job_id])
        assert store.requeue_stale_jobs(stale_after=60) == [job_id]
        assert store.get_job(job_id)["status"] == ("queued" if attempt < 3 else "failed")
    assert "gave up after 3 attempts" in store.get_job(job_id)["error"]


def test_api_jobs_worker_runs_posted_work_and_reports_progress(app, client, config, store):
    seen = []

    def analyze(job_store, cfg, payload, progress):
        docs = job_store.pending_documents(100)
        for i in range(len(docs)):
            _mark_analysed(job_store, docs[i:i + 1])
            progress(i + 1, len(docs))
            seen.append(job_store.get_job(current[0])["progress"])
        return {"analysed": len(docs)}

    current = []
    admin = auth(make_key(app))
    posted = client.post("/api/v1/documents", headers=admin, json={"documents": [
        {"kind": "note", "text": f"note number {i}"} for i in range(4)]}).json
    current.append(posted["job_id"])
    worker = Worker(config, poll_s=0.05, handlers={"analyze": analyze}).start()
    try:
        _wait(lambda: client.get(f"/api/v1/jobs/{posted['job_id']}", headers=admin).json["status"] == "done")
    finally:
        worker.stop()
    job = client.get(f"/api/v1/jobs/{posted['job_id']}", headers=admin).json
    assert job["progress"] == 1.0 and job["result"] == {"analysed": 4} and job["error"] is None
    assert seen == [0.25, 0.5, 0.75, 1.0]
    assert store.count_pending() == 0


def test_api_jobs_failed_job_reports_its_error(app, client, config):
    def broken(*_):
        raise RuntimeError("model exploded")

    admin = auth(make_key(app))
    job_id = client.post("/api/v1/documents", headers=admin, json={"documents": [{"kind": "note", "text": "x"}]}
                         ).json["job_id"]
    assert Worker(config, handlers={"analyze": broken}).run_pending() == 1
    job = client.get(f"/api/v1/jobs/{job_id}", headers=admin).json
    assert job["status"] == "failed" and job["error"] == "RuntimeError: model exploded"


def test_api_jobs_survive_a_restart(app, client, config, store):
    """A worker dies mid-job: the next worker re-queues it once its heartbeat is stale, and finishes."""
    admin = auth(make_key(app))
    job_id = client.post("/api/v1/documents", headers=admin, json={"documents": [
        {"kind": "note", "text": f"text {i}"} for i in range(3)]}).json["job_id"]
    assert store.claim_job()["id"] == job_id  # the first worker took it, then died
    _mark_analysed(store, store.pending_documents(1))  # after doing part of the work

    def analyze(job_store, cfg, payload, progress):
        docs = job_store.pending_documents(100)
        _mark_analysed(job_store, docs)
        return {"analysed": len(docs)}

    fresh = Worker(config, poll_s=0.05, stale_after_s=0.3, handlers={"analyze": analyze})
    assert fresh.run_pending() == 0  # heartbeat still fresh: not stolen
    time.sleep(0.4)
    assert fresh.run_pending() == 1
    job = client.get(f"/api/v1/jobs/{job_id}", headers=admin).json
    assert job["status"] == "done" and job["result"] == {"analysed": 2} and job["attempts"] == 2
    assert store.count_pending() == 0


def test_api_jobs_interrupted_worker_hands_the_job_back(store, config):
    def interrupted(*_):
        raise KeyboardInterrupt

    job_id = store.enqueue_job("analyze")
    with pytest.raises(KeyboardInterrupt):
        Worker(config, handlers={"analyze": interrupted}).run_once()
    assert store.get_job(job_id)["status"] == "queued"


def test_api_jobs_sixteen_clients_post_while_a_job_writes(config, store):
    """16 clients post at once to a real waitress server while a job keeps writing: every document
    is stored, every answer is 202, nobody sees "database is locked"."""
    import json
    import urllib.request

    import waitress

    from api import create_app
    app = create_app(config, worker=False)
    key = make_key(app)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=16)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    clients_done = threading.Event()

    def busy_analysis(job_store, cfg, payload, progress):
        batches = 0
        while not clients_done.is_set() or job_store.count_pending():
            docs = job_store.pending_documents(8)
            with job_store.transaction():
                _mark_analysed(job_store, docs)
            batches += 1
            progress(batches, batches + 1)
        return {"batches": batches}

    worker = Worker(config, poll_s=0.05, handlers={"analyze": busy_analysis})
    store.enqueue_job("analyze")
    worker.start()
    _wait(lambda: store.db["jobs"].count_where("status = 'running'") == 1)
    url = f"http://127.0.0.1:{server.effective_port}/api/v1/documents"
    answers, errors = [], []

    def client(n: int) -> None:
        for r in range(5):
            body = json.dumps({"documents": [{"kind": "note", "text": f"client {n} request {r} doc {i}",
                                              "external_id": f"{n}-{r}-{i}"} for i in range(10)]}).encode()
            request = urllib.request.Request(url, data=body, method="POST", headers={
                "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    answers.append((response.status, json.load(response)))
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                errors.append(getattr(exc, "read", lambda: str(exc).encode())())

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        clients_done.set()
        _wait(lambda: store.db["jobs"].count_where("status in ('queued', 'running')") == 0, timeout=120)
    finally:
        clients_done.set()
        worker.stop()
        server.close()
    assert errors == []
    assert len(answers) == 80 and all(status == 202 for status, _ in answers)
    ids = [i for _, body in answers for i in body["ids"]]
    assert len(ids) == len(set(ids)) == 800
    assert store.db["documents"].count == 800
    assert store.db["documents"].count_where("status = 'analysed'") == 800
    assert store.db["jobs"].count_where("status = 'failed'") == 0


@pytest.mark.slow
def test_api_jobs_real_analysis_through_the_worker(app, client, config, store):
    """The worker runs voc.analysis.run_analysis (spaCy + MiniLM) on posted documents."""
    admin = auth(make_key(app))
    posted = client.post("/api/v1/documents", headers=admin, json={"documents": [
        {"kind": "complaint", "text": "My refund took three weeks. Nobody answered my emails."}]}).json
    assert Worker(config).run_pending() >= 1
    job = client.get(f"/api/v1/jobs/{posted['job_id']}", headers=admin).json
    assert job["status"] == "done", job["error"]
    assert job["result"]["analysed"] == 1 and job["progress"] == 1.0
    doc = client.get(f"/api/v1/documents/{posted['ids'][0]}", headers=admin).json
    assert [s["text"] for s in doc["sentences"]] == ["My refund took three weeks.", "Nobody answered my emails."]
