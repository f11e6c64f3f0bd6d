"""Routing quality on the negative airline tweets, and how it improves with corrections.

    .venv/bin/python bench/eval_routing.py [--config bench/routing_airline.toml] [--quick]

Each negative tweet is routed with a department configuration written the way an operator would
(bench/routing_airline.toml: six departments, one sentence and five keywords each, no examples,
no training data) and compared with the department implied by the human ``negativereason``
(``Can't Tell`` tweets imply none and are left out). The router adapts, without labels, to the
tweets it routes (self-training), so dev and test are each routed as their own corpus.
Accuracy counts an unrouted tweet as wrong; coverage is the share routed.

Learning curve (dev): N tweets with their true department are fed back as corrections, as a
person re-routing insights would, and accuracy is measured on the other dev tweets.

The tweets are routed directly with the router (voc.insights.router); ``--end-to-end`` also sends
the test tweets through ingest -> analyze -> route_and_aggregate -> export and scores the main
exported department (a tweet the sentiment stage finds no negative sentence in has none).
Writes bench/eval/routing_results.json and a PNG plot when matplotlib is installed (else a table).
Embeddings are cached under /tmp/voc-emb/ (twitter_airline_negative_clean_<split>.npy + .json).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "twitter_us_airline_sentiment"
CACHE = Path("/tmp/voc-emb")
OUT = ROOT / "bench" / "eval"

#: the department a person would have sent each human reason to
REASON_TO_DEPARTMENT = {
    "Late Flight": "flight-ops", "Cancelled Flight": "flight-ops", "Customer Service Issue": "customer-service",
    "longlines": "customer-service", "Lost Luggage": "baggage", "Damaged Luggage": "baggage",
    "Flight Booking Problems": "booking", "Bad Flight": "in-flight", "Flight Attendant Complaints": "in-flight",
}
CURVE = (0, 10, 25, 50, 100, 200)


def negative_tweets(split: str) -> list[dict]:
    with open(DATA / f"{split}.csv", encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["airline_sentiment"] == "negative"]


class Encoder:
    """MiniLM with an in-memory memo, seeded from the /tmp/voc-emb cache files."""

    def __init__(self, model: str):
        self.model, self.memo = model, {}

    def preload(self, name: str, texts: list[str]) -> np.ndarray:
        npy, lst = CACHE / f"{name}.npy", CACHE / f"{name}.json"
        cached: list[str] = []
        if npy.exists() and lst.exists():
            cached = json.loads(lst.read_text())
            self.memo.update(zip(cached, np.load(npy)))
        vectors = self(texts)  # only texts not in the cache are encoded
        if cached != texts:
            CACHE.mkdir(parents=True, exist_ok=True)
            np.save(npy, vectors)
            lst.write_text(json.dumps(texts))
        return vectors

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            from voc.nlp.models import load_sentence_transformer
            st = load_sentence_transformer(self.model)
            vectors = st.encode(missing, batch_size=128, normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
            self.memo.update(zip(missing, np.asarray(vectors, dtype=np.float32)))
        return np.vstack([self.memo[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


def evaluate(router, texts, vectors, gold) -> dict:
    routes = router.route(texts, vectors)
    pred = np.array([r.department or "" for r in routes])
    routed = pred != ""
    correct = pred == np.asarray(gold)
    return {"n": len(gold), "accuracy": round(float(correct.mean()), 4),
            "coverage": round(float(routed.mean()), 4), "unrouted_share": round(float(1 - routed.mean()), 4),
            "accuracy_on_routed": round(float(correct[routed].mean()), 4) if routed.any() else None}


def split_run(config, encode, split: str, mapping: dict):
    from voc.insights.router import SemanticRouter, clean_text
    rows = negative_tweets(split)
    cleaned = [clean_text(r["text"]) for r in rows]
    vectors = encode.preload(f"twitter_airline_negative_clean_{split}", cleaned)
    router = SemanticRouter(config.departments, encode).fit(cleaned, vectors)
    keep = [i for i, r in enumerate(rows) if r["negativereason"] in mapping]
    gold = [mapping[rows[i]["negativereason"]] for i in keep]
    texts = [cleaned[i] for i in keep]
    return router, texts, vectors[keep], gold


def learning_curve(router, texts, vectors, gold, seeds=(0, 1, 2)) -> list[dict]:
    curve = []
    for n in CURVE:
        accs = []
        for seed in seeds if n else (0,):
            order = list(range(len(texts)))
            random.Random(seed).shuffle(order)
            fed, rest = order[:n], order[n:]
            router.clear_corrections()
            if fed:
                router.add_corrections([texts[i] for i in fed], [gold[i] for i in fed], vectors[fed])
            accs.append(evaluate(router, [texts[i] for i in rest], vectors[rest], [gold[i] for i in rest])["accuracy"])
        curve.append({"corrections": n, "dev_accuracy": round(float(np.mean(accs)), 4),
                      "runs": len(accs), "min": min(accs), "max": max(accs)})
        print(f"  {n:>4} corrections: dev accuracy {curve[-1]['dev_accuracy']:.4f}", flush=True)
    router.clear_corrections()
    return curve


def end_to_end(config_path: str, mapping: dict, split: str = "test") -> dict:
    """Negative tweets through ingest -> analyze (segment, embed, sentiment) -> route -> export.

    A tweet counts as correct when the main department of its exported record is the one its
    human reason implies; a tweet without a negative customer sentence has no department.
    """
    import subprocess
    import tempfile
    from voc.config import VocConfig
    from voc.insights import route_and_aggregate
    from voc.store import VocStore
    rows = [r for r in negative_tweets(split) if r["negativereason"] in mapping]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "tweets.csv"
        with open(data, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "text"])
            writer.writerows([r["tweet_id"], r["text"]] for r in rows)
        db = Path(tmp) / "voc.db"
        voc = [str(ROOT / ".venv" / "bin" / "voc"), "--db", str(db), "--config", config_path]
        subprocess.run([*voc, "ingest", str(data), "--kind", "social"], check=True, capture_output=True)
        subprocess.run([*voc, "analyze"], check=True, capture_output=True)
        config = VocConfig.load(config_path, db=db, env={})
        with VocStore(db) as store:
            summary = route_and_aggregate(store, config)
            departments = {r["external_id"]: r["departments"] for r in store.document_records()}
    gold = {r["tweet_id"]: mapping[r["negativereason"]] for r in rows}
    main_dept = {k: (v[0] if v else None) for k, v in departments.items()}
    with_dept = sum(1 for k in gold if main_dept.get(k))
    correct = sum(1 for k, g in gold.items() if main_dept.get(k) == g)
    return {"n": len(gold), "accuracy": round(correct / len(gold), 4),
            "share_with_department": round(with_dept / len(gold), 4),
            "accuracy_on_routed": round(correct / with_dept, 4) if with_dept else None,
            "routing": summary.line()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "bench" / "routing_airline.toml"))
    parser.add_argument("--quick", action="store_true", help="dev only, no learning curve")
    parser.add_argument("--end-to-end", action="store_true",
                        help="also route the test tweets through ingest -> analyze -> export (minutes)")
    parser.add_argument("--output", default=str(OUT / "routing_results.json"))
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the evaluation needs the shared airline tweets")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from voc.config import VocConfig
    config = VocConfig.load(args.config, env={})
    mapping = dict(REASON_TO_DEPARTMENT)
    names = {d.name for d in config.departments}
    if "airport" in names:
        mapping["longlines"] = "airport"
    encode = Encoder(config.nlp.embedding_model)
    results: dict = {"config": os.path.relpath(args.config, ROOT), "mapping": mapping,
                     "departments": sorted(names), "note": "tweet text routed directly with SemanticRouter; "
                     "Can't Tell tweets excluded; unrouted counts as wrong in accuracy"}
    started = time.time()
    router, texts, vectors, gold = split_run(config, encode, "dev", mapping)
    results["dev"] = evaluate(router, texts, vectors, gold)
    print("dev ", results["dev"], flush=True)
    if not args.quick:
        results["learning_curve"] = learning_curve(router, texts, vectors, gold)
        test_router, ttexts, tvectors, tgold = split_run(config, encode, "test", mapping)
        results["test"] = evaluate(test_router, ttexts, tvectors, tgold)
        print("test", results["test"], flush=True)
    if args.end_to_end:
        results["test_end_to_end"] = end_to_end(args.config, mapping)
        print("test end-to-end", results["test_end_to_end"], flush=True)
    results["seconds"] = round(time.time() - started, 1)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    if results.get("learning_curve"):
        plot(results["learning_curve"], Path(args.output).with_name("routing_learning_curve.png"))
    print(f"wrote {args.output}")


def plot(curve: list[dict], path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed; learning curve:")
        print("corrections  dev accuracy")
        for point in curve:
            print(f"{point['corrections']:>11}  {point['dev_accuracy']:.4f}")
        return
    xs = [p["corrections"] for p in curve]
    plt.figure(figsize=(5, 3.2))
    plt.plot(xs, [p["dev_accuracy"] for p in curve], marker="o")
    plt.xlabel("corrections fed back")
    plt.ylabel("dev accuracy")
    plt.title("Routing accuracy as corrections accumulate")
    plt.tight_layout()
    plt.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
