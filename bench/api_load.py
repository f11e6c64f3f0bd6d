"""Latency of the API's read endpoints under concurrent load, on a database of 100k sentences.

    .venv/bin/python bench/api_load.py [--sentences 100000] [--clients 8] [--requests 200] [--out bench/out]

Builds (once; reused while the size matches) a synthetic database: documents of four sentences
with themes, sentiment, broken-promise findings, insights in department inboxes, and a random
unit vector per sentence in the embedding cache (so semantic search scores 100k vectors without
running the embedder over them). Then starts ``voc serve`` (waitress) on it, warms each endpoint
once, and has ``--clients`` threads send ``--requests`` requests per endpoint between them:
the themes list (repeated, so answered from the per-data-version cache after the first call, and
with random date ranges, mostly computed), search (hybrid: FTS5 plus MiniLM over every vector, a
random query each time) and a department inbox. Prints
p50/p99 latency per endpoint and writes ``api_load.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEPARTMENTS = ["billing", "logistics", "support", "product", "stores"]
TOPICS = {
    "billing": ["refund", "charged twice", "invoice", "fee", "payment"],
    "logistics": ["parcel", "delivery", "courier", "tracking", "late shipment"],
    "support": ["hold time", "agent", "callback", "chat", "complaint"],
    "product": ["app crash", "login", "battery", "update", "screen"],
    "stores": ["store staff", "queue", "opening hours", "stock", "returns desk"],
}
OPENERS = ["I am unhappy about the", "Thank you for the", "Why is the", "Nobody helped with the", "Great job on the",
           "Still waiting on the", "The", "Please fix the"]
CLOSERS = ["again.", "this week.", "after three weeks.", "and I want answers.", "which was fine.", "today."]
QUERIES = ["refund", "late delivery", "app keeps crashing", "rude agent", "charged twice", "parcel lost",
           "long queue in store", "cannot log in"]
CONFIG = "\n".join(f'[[departments]]\nname = "{d}"\ndescription = "{d} issues"\nkeywords = {json.dumps(TOPICS[d][:2])}\n'
                   for d in DEPARTMENTS) + ('\n[[promises]]\nid = "refund-5-days"\ntext = "Refunds within 5 business '
                                            'days"\ndepartment = "billing"\ntarget = "5 business days"\n') \
    + '\n[server]\nrate_limit = 0\n'  # the clients share one key: this measures latency, not the rate limiter


def build(folder: Path, n_sentences: int, seed: int = 7) -> Path:
    """Write voc.toml and voc.db of ``n_sentences`` synthetic sentences under ``folder``."""
    from voc.config import VocConfig
    from voc.nlp.models import embedding_model_id
    from voc.store import VocStore
    from voc.store.documents import text_hash
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "voc.toml").write_text(CONFIG)
    db = folder / "voc.db"
    marker = folder / "built.json"
    if db.exists() and marker.exists() and json.loads(marker.read_text()).get("sentences") == n_sentences:
        return folder
    for old in folder.glob("voc.db*"):
        old.unlink()
    config = VocConfig.load(folder / "voc.toml", db=db, env={})
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed)
    model = embedding_model_id(config.nlp.embedding_model)
    started = time.time()
    with VocStore(db) as store:
        store.sync_config(config)
        themes = [(f"T{i}", d, TOPICS[d][i % 5]) for i, d in enumerate(DEPARTMENTS * 8)]
        with store.transaction():
            store.db["themes"].insert_all({"id": t, "label": f"{label} ({d})", "status": "active", "size": 0,
                                           "created_at": "2026-01-01T00:00:00+00:00"} for t, d, label in themes)
        n_docs = n_sentences // 4
        for start in range(0, n_docs, 2000):
            docs, sents, embeds, findings = [], [], [], []
            for i in range(start, min(n_docs, start + 2000)):
                doc_id = f"d_{i:08d}"
                day = rng.randrange(0, 180)
                when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1767225600 + day * 86400))
                label = rng.choice(["negative", "negative", "neutral", "positive"])
                docs.append((doc_id, rng.choice(["complaint", "survey", "review", "email"]), f"x{i}", "bench", when,
                             "", "{}", "voice", when, "analysed", label, {"negative": -0.7, "neutral": 0.0,
                                                                         "positive": 0.6}[label]))
                theme, dept, topic = rng.choice(themes)
                for seq in range(4):
                    text = f"{rng.choice(OPENERS)} {topic if seq < 2 else rng.choice(TOPICS[dept])} {rng.choice(CLOSERS)}"
                    h = text_hash(f"{text} #{i}.{seq}")
                    sents.append((doc_id, seq, "customer", text, h, label, theme if seq < 3 else None))
                    v = vectors.standard_normal(384).astype(np.float32)
                    embeds.append((model, h, 384, (v / np.linalg.norm(v)).tobytes()))
                if dept == "billing" and rng.random() < 0.3:
                    findings.append((doc_id, "refund-5-days", "5 business days", f"{rng.randrange(6, 30)} days"))
            with store.transaction():
                store.conn.executemany(
                    "insert into documents (id, kind, external_id, source, received_at, text, metadata, doc_type, "
                    "created_at, status, sentiment_label, sentiment_score) values (?,?,?,?,?,?,?,?,?,?,?,?)", docs)
                store.conn.executemany(
                    "insert into sentences (document_id, seq, role, text, text_hash, sentiment_label, theme_id) "
                    "values (?,?,?,?,?,?,?)", sents)
                store.conn.executemany("insert into embeddings (model, text_hash, dim, vector) values (?,?,?,?)",
                                       embeds)
                store.conn.executemany(
                    "insert into findings (kind, document_id, promise_id, promised_value, reported_value, stage, "
                    "created_at) values ('broken_promise', ?, ?, ?, ?, 'bench', '2026-01-01')", findings)
        with store.transaction():
            for k in range(2000):
                theme, dept, topic = themes[k % len(themes)]
                store.db["insights"].insert({
                    "key": f"bench:{k}", "kind": "theme", "title": f"{topic} trouble #{k}", "department": dept,
                    "severity": rng.choice(["high", "medium", "low"]), "status": rng.choice(["open", "acknowledged"]),
                    "theme_id": theme, "created_at": "2026-05-01T00:00:00+00:00",
                    "updated_at": "2026-05-01T00:00:00+00:00"})
            store.conn.execute("insert into insight_findings (insight_id, finding_id) "
                               "select 1 + (f.id % 2000), f.id from findings f")
        key = store.create_api_key(name="bench", role="analyst")
    (folder / "key.txt").write_text(key)
    marker.write_text(json.dumps({"sentences": n_sentences, "build_s": round(time.time() - started, 1)}))
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "voc.cli", "serve", "--db", str(folder / "voc.db"), "--config",
                             str(folder / "voc.toml"), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("voc serve did not start")


def load(port: int, key: str, paths: list[str], clients: int) -> list[float]:
    """Send ``paths`` from ``clients`` threads (keep-alive connections); return latencies in ms."""
    todo = list(paths)
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not todo:
                    return
                path = todo.pop()
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            response.read()
            took = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(took)
                if response.status != 200:
                    failures.append(f"{path}: {response.status}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[:3]}")
    return latencies


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--data", type=Path, default=None, help="where the database is built [OUT/api_load_db]")
    args = parser.parse_args(argv)
    t0 = time.time()
    folder = build(args.data or args.out / "api_load_db", args.sentences)
    build_s = round(time.time() - t0, 1)
    key = (folder / "key.txt").read_text().strip()
    port = _free_port()
    proc = serve(folder, port)
    rng = random.Random(1)
    endpoints = {
        "themes list": lambda: "/api/v1/themes?limit=50",
        "themes list, random date range (mostly uncached)": lambda: "/api/v1/themes?limit=50&from=2026-01-%02d&to=2026-%02d-01"
        % (rng.randrange(1, 29), rng.randrange(3, 7)),
        "search (hybrid)": lambda: "/api/v1/search?limit=20&q=" + " ".join(  # ~2000 distinct queries
            [rng.choice(QUERIES), rng.choice(TOPICS[rng.choice(DEPARTMENTS)]), rng.choice(CLOSERS)[:-1]]
        ).replace(" ", "%20"),
        "department inbox": lambda: f"/api/v1/departments/{rng.choice(DEPARTMENTS)}/insights?limit=50",
    }
    results = {}
    try:
        for name, make in endpoints.items():
            t_warm = time.perf_counter()
            load(port, key, [make()], 1)  # first call: loads the index / the model
            warm_ms = (time.perf_counter() - t_warm) * 1000
            t_run = time.perf_counter()
            ms = sorted(load(port, key, [make() for _ in range(args.requests)], args.clients))
            wall = time.perf_counter() - t_run
            results[name] = {"requests": len(ms), "clients": args.clients, "p50_ms": round(statistics.median(ms), 1),
                             "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
                             "max_ms": round(ms[-1], 1), "rps": round(len(ms) / wall, 1),
                             "first_call_ms": round(warm_ms, 1)}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    report = {"sentences": args.sentences, "build_or_reuse_s": build_s, "cpu_count": os.cpu_count(),
              "endpoints": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "api_load.json").write_text(json.dumps(report, indent=2))
    print(f"API latency, {args.sentences} sentences, {args.clients} concurrent clients, waitress")
    print("| endpoint | requests | p50 ms | p99 ms | req/s | first call ms |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['requests']} | {r['p50_ms']} | {r['p99_ms']} | {r['rps']} | {r['first_call_ms']} |")
    return report


if __name__ == "__main__":
    main()
