"""Theme quality through the real path: ingest -> analyze -> update_themes -> export.

    .venv/bin/python bench/eval_themes.py                 # airline dev+test in one database; CFPB dev
    .venv/bin/python bench/eval_themes.py --only airline-dev --only airline-test   # each on its own

For each data set a fresh database is built in a temporary folder with ``voc.ingest``, analysed with
``Pipeline.default(config).run(store)`` and given themes with ``update_themes``; the figures are read
from ``store.document_records()``: each document's main theme (the first of ``themes``) against its
human label, as normalised mutual information (scikit-learn, arithmetic mean), with the share of
documents left without a theme and the number of themes.

- Airline: every negative tweet of ../shared/data/twitter_us_airline_sentiment, "Can't Tell" left
  out, against ``negativereason``. ``airline-all`` puts dev and test in one database (as the quality
  check does) and reports dev, test and all; ``airline-dev`` / ``airline-test`` fit each alone.
  Tuned on dev only.
- CFPB: the first ``VOC_EVAL_CFPB_LIMIT`` (default 600) dev complaints of
  ../shared/data/cfpb_complaints_narratives against ``Issue`` (long narratives: segmentation and
  encoding of the whole split take hours on a two-core machine).

MiniLM embeddings are cached across runs in ``--cache`` (default /tmp/voc-emb/embeddings.db):
its ``embeddings`` table is copied into each fresh database before analysis and new vectors are
copied back afterwards, so only the first run pays for encoding. Writes bench/eval/themes_results.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SHARED = ROOT.parent / "shared" / "data"
AIRLINE = SHARED / "twitter_us_airline_sentiment"
CFPB = SHARED / "cfpb_complaints_narratives"
DEFAULT_CACHE = Path("/tmp/voc-emb/embeddings.db")


CFPB_LIMIT = int(os.environ.get("VOC_EVAL_CFPB_LIMIT", "600"))


def airline_rows(split: str) -> list[dict]:
    with (AIRLINE / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
        return [{**r, "_split": split} for r in csv.DictReader(fh)
                if r["airline_sentiment"] == "negative" and r["negativereason"] not in ("", "Can't Tell")]


def cfpb_rows(split: str, limit: int | None = None) -> list[dict]:
    """The first ``limit`` complaints of the split (file order) with a narrative and an Issue."""
    with (CFPB / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
        rows = [{**r, "_split": split} for r in csv.DictReader(fh)
                if r["Consumer complaint narrative"].strip() and r["Issue"].strip()]
    return rows[:limit] if limit else rows


DATASETS = {
    # name: (rows, file name (decides the kind), text, id, date, label column)
    "airline-dev": (lambda: airline_rows("dev"), "tweets.csv", "text", "tweet_id", "tweet_created", "negativereason"),
    "airline-test": (lambda: airline_rows("test"), "tweets.csv", "text", "tweet_id", "tweet_created", "negativereason"),
    "airline-all": (lambda: airline_rows("dev") + airline_rows("test"), "tweets.csv", "text", "tweet_id",
                    "tweet_created", "negativereason"),
    "cfpb-dev": (lambda: cfpb_rows("dev", CFPB_LIMIT), "complaints.csv", "Consumer complaint narrative", "Complaint ID",
                 "date_received_iso", "Issue"),
}


def _copy_embeddings(src: Path, dst: Path) -> int:
    """Copy the embedding cache rows of ``src`` that ``dst`` lacks; return how many."""
    if not src.exists():
        return 0
    conn = sqlite3.connect(str(dst))
    try:
        conn.execute("attach database ? as other", [str(src)])
        has = conn.execute("select count(*) from other.sqlite_master where name = 'embeddings'").fetchone()[0]
        if not has:
            return 0
        cur = conn.execute("insert or ignore into main.embeddings select * from other.embeddings")
        conn.commit()
        return cur.rowcount
    finally:
        conn.close()


def _ensure_cache(cache: Path) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(cache))
    conn.execute("create table if not exists embeddings (model text, text_hash text, dim integer, vector blob, "
                 "primary key (model, text_hash))")
    conn.commit()
    conn.close()


def build(name: str, workdir: Path, cache: Path, *, log=print) -> tuple[Path, dict[str, tuple[str, str]]]:
    """Ingest and analyse data set ``name`` into ``workdir``/voc.db; return the db path and labels by id."""
    from voc.config import VocConfig
    from voc.errors import ModelUnavailable
    from voc.ingest import IngestOptions, Ingestor
    from voc.nlp.pipeline import Pipeline
    from voc.store import VocStore

    rows_fn, file_name, text_col, id_col, date_col, label_col = DATASETS[name]
    rows = rows_fn()
    labels = {r[id_col]: (r[label_col], r["_split"]) for r in rows}
    src = workdir / file_name
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[id_col, date_col, text_col])
        writer.writeheader()
        for r in rows:
            writer.writerow({id_col: r[id_col], date_col: r[date_col], text_col: r[text_col]})
    db = workdir / "voc.db"
    config = VocConfig(db_path=db)
    with VocStore(db) as store:
        store.sync_config(config)
        options = IngestOptions(text_column=text_col, id_column=id_col, date_column=date_col)
        summary = Ingestor(store, config, options=options).ingest([src])
        log(f"{name}: ingested {summary.ingested}, duplicates {summary.duplicates}, rejected {summary.rejected}")
    _ensure_cache(cache)
    log(f"{name}: {_copy_embeddings(cache, db)} cached embeddings copied in")
    with VocStore(db) as store:
        start = time.perf_counter()
        try:
            result = Pipeline.default(config).run(store, batch_size=256)
        except ModelUnavailable as exc:  # a stage whose model is not trained here: themes need none of them
            log(f"{name}: default pipeline unavailable ({exc}); running segmentation and embeddings only")
            result = Pipeline.from_names(["voc.segment.spacy.v1", "voc.embed.minilm.v1"], config).run(
                store, batch_size=256)
        log(f"{name}: {result.line()} in {time.perf_counter() - start:.0f}s")
    log(f"{name}: {_copy_embeddings(db, cache)} new embeddings copied to the cache")
    return db, labels


def score(db: Path, labels: dict[str, tuple[str, str]], *, refit: bool = False, log=print) -> dict:
    """Run the theme stage on ``db`` and measure the main theme of each document against ``labels``
    (``external id -> (label, split)``): per split and over all documents."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from voc.config import VocConfig
    from voc.nlp.themes import update_themes
    from voc.store import VocStore

    config = VocConfig(db_path=db)
    with VocStore(db) as store:
        start = time.perf_counter()
        summary = update_themes(store, config, refit=refit)
        fit_s = time.perf_counter() - start
        records = list(store.document_records())
        themes = list(store.db.query("select id, label, parent_id, size, keywords from themes "
                                     "where status = 'active' order by size desc"))
    main = {r["external_id"]: (r["themes"][0]["id"] if r["themes"] else None) for r in records}
    splits = sorted({split for _, split in labels.values()})
    result: dict = {"fit_seconds": round(fit_s, 1), "summary": summary.as_dict()}
    for split in splits + (["all"] if len(splits) > 1 else []):
        ids = [i for i, (_, sp) in labels.items() if i in main and split in (sp, "all")]
        truth = [labels[i][0] for i in ids]
        pred = [main[i] or "none" for i in ids]
        result[split] = {
            "documents": len(ids), "nmi": round(normalized_mutual_info_score(truth, pred), 4),
            "ari": round(adjusted_rand_score(truth, pred), 4),
            "without_theme": round(pred.count("none") / max(len(pred), 1), 4),
            "main_themes": len(set(pred) - {"none"})}
        log(f"  {split}: NMI {result[split]['nmi']}  without a theme {result[split]['without_theme']:.1%}  "
            f"main themes {result[split]['main_themes']}  ({len(ids)} documents)")
    result["themes"] = [f"{t['id']} {t['label']} (size {t['size']}, parent {t['parent_id']}): "
                        f"{', '.join(json.loads(t['keywords'] or '[]')[:6])}" for t in themes]
    log(f"  {summary.line()}; fit {fit_s:.0f}s")
    return result


def _drop_themes(db: Path) -> None:
    conn = sqlite3.connect(str(db))
    conn.executescript("pragma foreign_keys = off; update sentences set theme_id = null, theme_stage = null; "
                       "delete from findings where kind in ('theme_spike', 'emerging_theme'); "
                       "delete from theme_lineage; delete from themes;")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(DATASETS), help="data set(s) to run")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache database")
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: reuse an analysed database kept there (themes are refitted)")
    parser.add_argument("--fresh", action="store_true", help="with --reuse: drop the themes first (a first fit)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "eval" / "themes_results.json")
    args = parser.parse_args()
    if not AIRLINE.exists() or not CFPB.exists():
        sys.exit(f"the evaluation data is not under {SHARED}")
    names = args.only or ["airline-all", "cfpb-dev"]
    results: dict[str, dict] = {}
    if args.output.exists():
        results = json.loads(args.output.read_text()).get("results", {})
    for name in names:
        with tempfile.TemporaryDirectory(prefix="voc-eval-") as tmp:
            workdir = Path(tmp) if args.keep is None else args.keep / name
            workdir.mkdir(parents=True, exist_ok=True)
            if args.reuse and (workdir / "voc.db").exists():
                rows_fn, _, _, id_col, _, label_col = DATASETS[name]
                db, labels = workdir / "voc.db", {r[id_col]: (r[label_col], r["_split"]) for r in rows_fn()}
                if args.fresh:
                    _drop_themes(db)
            else:
                for stale in workdir.glob("voc.db*"):
                    stale.unlink()
                db, labels = build(name, workdir, args.cache)
            print(f"{name}:")
            results[name] = score(db, labels, refit=args.reuse and not args.fresh)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "what": "main theme of each document (first of `themes` in the export) vs the human label",
        "metric": "sklearn normalized_mutual_info_score; documents without a theme count as one class 'none'",
        "command": "python bench/eval_themes.py " + " ".join(sys.argv[1:]),
        "results": results}, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
