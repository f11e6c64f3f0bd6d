"""Document-level precision / recall / F1 of broken-promise detection on the hand-labelled dev set.

    .venv/bin/python bench/eval_promises.py [--labels bench/eval/promises_dev.jsonl]

Goes through the real path: the labelled texts are written to files (airline tweets and CFPB
narratives as JSON Lines, each twcs thread as a ``Customer:`` / ``Agent (brand):`` transcript),
ingested with :class:`voc.ingest.Ingestor` into a temporary database, analysed with
``Pipeline.from_names(["voc.segment.spacy.v1", "voc.embed.minilm.v1", "voc.promises.v1"])``, and read
back with ``store.document_records()``: a document is predicted positive when its
``broken_promises`` list is not empty. The keyword rule of issue 6 is scored on the same texts
(customer lines only for threads). Prints a table and writes bench/eval/promises_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

KEYWORD = re.compile(r"promis|guarantee|told me|said they would|supposed to|advertis|confirm|quoted", re.I)
STAGES = ["voc.segment.spacy.v1", "voc.embed.minilm.v1", "voc.promises.v1"]


def _customer_text(item: dict) -> str:
    if item["source"] != "twcs":
        return item["text"]
    return "\n".join(line.split(":", 1)[1] for line in item["text"].splitlines() if line.startswith("Customer:"))


def write_inputs(items: list[dict], folder: Path) -> None:
    with (folder / "airline_tweets.jsonl").open("w") as air, (folder / "cfpb_complaints.jsonl").open("w") as cfpb:
        for item in items:
            key = f"{item['source']}:{item['id']}"
            if item["source"] == "twcs":
                (folder / f"twcs_{item['id']}.txt").write_text(item["text"] + "\n")
            else:
                (air if item["source"] == "airline" else cfpb).write(json.dumps({"id": key, "text": item["text"]})
                                                                     + "\n")


def predict(items: list[dict], workdir: Path) -> tuple[dict[str, bool], dict]:
    from voc.config import VocConfig
    from voc.ingest import Ingestor
    from voc.nlp.pipeline import Pipeline
    from voc.nlp.promises import stage  # noqa: F401  registers voc.promises.v1 until the pipeline loads it itself
    from voc.store import VocStore
    inputs = workdir / "inputs"
    inputs.mkdir()
    write_inputs(items, inputs)
    config = VocConfig.load(None, db=workdir / "voc.db", env={})
    store = VocStore(config.db_path)
    store.sync_config(config)
    started = time.perf_counter()
    Ingestor(store, config).ingest([inputs])
    summary = Pipeline.from_names(STAGES, config).run(store)
    seconds = time.perf_counter() - started
    predicted: dict[str, bool] = {}
    for record in store.document_records():
        key = record["external_id"]
        if key and key.startswith(("airline:", "cfpb:")):
            predicted[key] = bool(record["broken_promises"])
        else:
            source = str(record.get("source") or "")
            tid = re.sub(r"^twcs_|\.txt$", "", source)
            predicted[f"twcs:{tid}"] = bool(record["broken_promises"])
    store.close()
    return predicted, {"seconds": round(seconds, 1), "analysed": summary.analysed, "failed": summary.failed}


def scores(pairs: list[tuple[int, bool]]) -> dict:
    tp = sum(1 for y, p in pairs if y and p)
    fp = sum(1 for y, p in pairs if not y and p)
    fn = sum(1 for y, p in pairs if y and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(pairs), "positives": sum(y for y, _ in pairs), "tp": tp, "fp": fp, "fn": fn,
            "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=ROOT / "bench" / "eval" / "promises_dev.jsonl")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "eval" / "promises_results.json")
    parser.add_argument("--errors", action="store_true", help="print the misclassified texts")
    args = parser.parse_args(argv)
    items = [json.loads(line) for line in args.labels.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        predicted, run = predict(items, Path(tmp))
    results: dict = {"labels": str(args.labels.relative_to(ROOT)) if args.labels.is_relative_to(ROOT)
                     else str(args.labels), "run": run, "systems": {}}
    missing = [i for i in items if f"{i['source']}:{i['id']}" not in predicted]
    if missing:
        print(f"warning: {len(missing)} labelled texts produced no document (counted as negative)", file=sys.stderr)
    for system in ("voc.promises.v1", "keyword rule"):
        per: dict[str, list] = {"all": []}
        for item in items:
            if system == "keyword rule":
                guess = bool(KEYWORD.search(_customer_text(item)))
            else:
                guess = predicted.get(f"{item['source']}:{item['id']}", False)
            per["all"].append((int(item["label"]), guess))
            per.setdefault(item["source"], []).append((int(item["label"]), guess))
            if args.errors and system == "voc.promises.v1" and guess != bool(item["label"]):
                print(f"{'FP' if guess else 'FN'} {item['source']}:{item['id']}: {item['text'][:300]!r}")
        results["systems"][system] = {name: scores(pairs) for name, pairs in per.items()}
    print(f"{'system':<18}{'subset':<10}{'n':>5}{'pos':>5}{'P':>7}{'R':>7}{'F1':>7}")
    for system, subsets in results["systems"].items():
        for name, s in subsets.items():
            print(f"{system:<18}{name:<10}{s['n']:>5}{s['positives']:>5}{s['precision']:>7.3f}{s['recall']:>7.3f}"
                  f"{s['f1']:>7.3f}")
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
