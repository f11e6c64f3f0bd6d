"""Sentiment quality through the product's own path: `voc ingest` -> `voc analyze` -> `voc export documents`.

    .venv/bin/python bench/eval_sentiment.py [--split test|dev] [--limit N]

Test splits of ../shared/data (the model was tuned on dev only):
- Twitter US Airline Sentiment: macro-F1 over negative/neutral/positive;
- UCI sentiment-labelled sentences (Amazon, Yelp, IMDb; binary): accuracy, a neutral label counted by
  the sign of its score;
- Amazon 2018 reviews (All Beauty + Fashion; 1-2 stars negative, 3 neutral, 4-5 positive): macro-F1.
Writes bench/eval/sentiment_results.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
VOC = [str(ROOT / ".venv" / "bin" / "voc")] if (ROOT / ".venv" / "bin" / "voc").exists() else [sys.executable, "-m", "voc"]
sys.path.insert(0, str(ROOT))
from voc.nlp.sentiment.train import macro_f1  # noqa: E402  (the same metric training reports)

OUT = ROOT / "bench" / "eval" / "sentiment_results.json"
LABELS = ("negative", "neutral", "positive")


def airline(split: str, folder: Path, limit: int | None) -> tuple[Path, dict[str, str], list[str]]:
    rows = list(csv.DictReader((SHARED / "twitter_us_airline_sentiment" / f"{split}.csv").open(encoding="utf-8")))
    rows = rows[:limit] if limit else rows
    path = folder / "airline_tweets.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path, {r["tweet_id"]: r["airline_sentiment"] for r in rows}, ["--text-column", "text", "--id-column",
                                                                          "tweet_id", "--kind", "social"]


def uci(split: str, folder: Path, limit: int | None) -> tuple[Path, dict[str, str], list[str]]:
    gold: dict[str, str] = {}
    path = folder / "uci_sentences.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "source", "text", "label"])
        for source in ("amazon_cells", "yelp", "imdb"):
            lines = (SHARED / "product_reviews" / "uci_sentiment_labelled_sentences" / f"{source}_{split}.txt"
                     ).read_text(encoding="utf-8", errors="replace").splitlines()
            for n, line in enumerate(lines[:limit] if limit else lines):
                if "\t" not in line:
                    continue
                text, label = line.rsplit("\t", 1)
                key = f"{source}-{n}"
                gold[key] = "positive" if label.strip() == "1" else "negative"
                w.writerow([key, source, text.strip(), label.strip()])
    return path, gold, ["--text-column", "text", "--id-column", "id", "--kind", "review"]


def amazon(split: str, folder: Path, limit: int | None) -> tuple[Path, dict[str, str], list[str]]:
    gold: dict[str, str] = {}
    path = folder / "amazon_reviews.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "stars", "text"])
        for name in ("amazon_all_beauty_5core", "amazon_fashion_5core"):
            lines = (SHARED / "product_reviews" / "amazon2018_5core" / f"{name}_{split}.jsonl").read_text(
                encoding="utf-8").splitlines()
            for line in lines[:limit] if limit else lines:
                r = json.loads(line)
                text = (r.get("reviewText") or "").strip()
                key = f"{r['reviewerID']}|{r['asin']}|{r['unixReviewTime']}"
                if not text or key in gold:
                    continue
                stars = int(r["overall"])
                gold[key] = "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"
                w.writerow([key, stars, text])
    return path, gold, ["--text-column", "text", "--id-column", "id", "--kind", "review"]


def run_voc(db: Path, *args: str) -> str:
    env = {**os.environ, "VOC_DB": str(db), "HF_HUB_OFFLINE": "1"}
    env.pop("VOC_CONFIG", None)
    done = subprocess.run([*VOC, *args], capture_output=True, text=True, env=env, cwd=db.parent, check=False)
    if done.returncode != 0:
        raise SystemExit(f"voc {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def evaluate(name: str, build, split: str, limit: int | None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"voc-eval-{name}-") as tmp:
        folder = Path(tmp)
        path, gold, options = build(split, folder, limit)
        db = folder / "voc.db"
        started = time.perf_counter()
        run_voc(db, "ingest", str(path), *options)
        run_voc(db, "analyze")
        records = [json.loads(line) for line in run_voc(db, "export", "documents").splitlines() if line.strip()]
        seconds = time.perf_counter() - started
    pairs = [(gold[r["external_id"]], r["sentiment"]) for r in records if r["external_id"] in gold]
    missing = len(gold) - len(pairs)
    pred = [s["label"] if s else "neutral" for _, s in pairs]
    golds = [g for g, _ in pairs]
    result = {"documents": len(pairs), "missing": missing, "seconds": round(seconds, 1),
              "predicted": {label: pred.count(label) for label in LABELS}}
    if name == "uci":
        signed = [("positive" if (s and (s["label"] == "positive" or (s["label"] == "neutral" and s["score"] > 0)))
                   else "negative") for _, s in pairs]
        result["accuracy"] = round(sum(g == p for g, p in zip(golds, signed)) / len(golds), 4)
    else:
        index = {label: n for n, label in enumerate(LABELS)}
        result["macro_f1"] = round(macro_f1([index[g] for g in golds], [index[p] for p in pred],
                                            labels=sorted({index[g] for g in golds})), 4)
        result["accuracy"] = round(sum(g == p for g, p in zip(golds, pred)) / len(golds), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["test", "dev"])
    parser.add_argument("--limit", type=int, default=None, help="at most N rows per file (a quick look)")
    parser.add_argument("--only", choices=["airline", "uci", "amazon"], action="append")
    args = parser.parse_args()
    if not SHARED.exists():
        raise SystemExit(f"{SHARED} is not there: the evaluation needs the shared data beside the checkout")
    results: dict = {"date": dt.date.today().isoformat(), "split": args.split, "limit": args.limit}
    for name, build in (("airline", airline), ("uci", uci), ("amazon", amazon)):
        if args.only and name not in args.only:
            continue
        results[name] = evaluate(name, build, args.split, args.limit)
        print(f"{name:8s} {json.dumps(results[name])}", flush=True)
    if args.limit is None and args.split == "test":
        if args.only and OUT.exists():  # a partial run updates its datasets and keeps the others
            merged = json.loads(OUT.read_text(encoding="utf-8"))
            merged.update({k: v for k, v in results.items() if k not in ("limit",)})
            results = merged
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
