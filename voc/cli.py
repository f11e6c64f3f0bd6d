"""The ``voc`` command line: a thin layer over the library (SPEC.md section 2).

Each command builds its objects, calls one library method and turns library errors into one clear
line on stderr. Heavy libraries are imported inside the commands that need them, so ``voc --help``
stays fast. Exit status: 0 success, 1 the command failed, 2 usage error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from voc import __version__
from voc.commands.common import (KIND_CHOICES, VocGroup, _stderr_is_terminal,  # noqa: F401
                                 global_options, load_config, open_store)


@click.group(cls=VocGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="voc")
@global_options
def main() -> None:
    """voc: self-hosted Voice-of-Customer text mining.

    Ingest what customers say (emails, transcripts, complaints, surveys, reviews), analyse it
    (sentences, embeddings; sentiment, themes and broken promises as those stages land), export it,
    and serve the API and dashboard that route insights to the departments responsible.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--kind", type=click.Choice(KIND_CHOICES), help="Kind of every document read (default: guessed "
              "from the file name, else note).")
@click.option("--text-column", metavar="C", help="Column holding the text (default: text, comment, note, ...).")
@click.option("--id-column", metavar="C", help="Column holding each row's own id (default: id, ticket_id, ...).")
@click.option("--date-column", metavar="C", help="Column holding when it was received (default: date, ...).")
@click.option("--meta-column", "meta_columns", metavar="C", multiple=True,
              help="Column to keep as metadata (repeatable; default: every other column).")
@global_options
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], kind: str | None, text_column: str | None,
           id_column: str | None, date_column: str | None, meta_columns: tuple[str, ...]) -> None:
    """Read files or folders of customer voice into the database.

    Formats: .csv .tsv .json .jsonl .xlsx (one row, one document) and .txt (one note per file).
    Each file is reported as ingested, partial, duplicate or rejected; rejected files and rows are
    kept in quarantine with their reason and never stop the batch. Ends with the line
    `ingested N, duplicates D, rejected R`.
    """
    from voc.ingest import Ingestor, IngestOptions
    config = load_config(ctx)
    options = IngestOptions(kind=kind, text_column=text_column, id_column=id_column, date_column=date_column,
                            meta_columns=meta_columns)
    with open_store(config) as store:
        summary = Ingestor(store, config, options=options, on_file=_print_file_result,
                           progress=_byte_progress if _stderr_is_terminal() else None).ingest(paths)
    click.echo(summary.line())


def _print_file_result(result) -> None:
    name = result.path
    if result.status == "rejected":
        click.echo(f"rejected   {name}: {result.reason}")
    elif result.status == "duplicate":
        click.echo(f"duplicate  {name}: {result.reason}")
    else:
        extra = f", {result.duplicates} duplicates" if result.duplicates else ""
        click.echo(f"{result.status:<10} {name}: {result.ingested} documents ({result.kind}){extra}"
                   + (f", {result.rejected} rejected" if result.rejected else ""))
        for problem in result.problems[:5]:
            click.echo(f"             {problem.item}: {problem.reason}")
        if len(result.problems) > 5:
            click.echo(f"             ... and {len(result.problems) - 5} more (see the quarantine table)")


def _byte_progress(path: Path, size: int) -> Callable[[int], None]:
    from tqdm import tqdm
    bar = tqdm(total=size, unit="B", unit_scale=True, desc=path.name[:30], leave=False, file=sys.stderr,
               disable=size < 1 << 20)

    def update(position: int) -> None:
        bar.update(max(0, position - bar.n))
        if position >= size:
            bar.close()
    return update


@main.command()
@click.option("--refit", is_flag=True, help="Refit themes from all customer sentences; theme ids are kept where "
              "a new theme matches an old one, and splits, merges and retirements are recorded.")
@global_options
@click.pass_context
def analyze(ctx: click.Context, refit: bool) -> None:
    """Run the analysis pipeline on every document not yet analysed.

    Incremental and idempotent: only new documents are processed, each batch is committed whole,
    and an interrupted run is finished by the next one. Shows a progress bar on a terminal.
    """
    from voc.analysis import run_analysis
    config = load_config(ctx)
    with open_store(config) as store:
        total = store.count_pending()
        bar = None
        if total and _stderr_is_terminal():
            from tqdm import tqdm
            bar = tqdm(total=total, unit="doc", desc="analysing", file=sys.stderr)

        def progress(done: int, _total: int) -> None:
            if bar is not None:
                bar.update(done - bar.n)
        summary = run_analysis(store, config, refit=refit, on_progress=progress)
        if bar is not None:
            bar.close()
    click.echo(summary.line())
    for doc_id, error in summary.failures[:10]:
        click.echo(f"failed {doc_id}: {error}", err=True)


@main.command()
@click.argument("what", type=click.Choice(["documents", "sentences"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON Lines, or CSV with lists joined by ';'.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@global_options
@click.pass_context
def export(ctx: click.Context, what: str, fmt: str, output: str | None) -> None:
    """Export documents or sentences with their analysis (fields of SPEC.md section 3)."""
    from voc.export import write_records
    config = load_config(ctx)
    with open_store(config) as store:
        records = store.document_records() if what == "documents" else store.sentence_records()
        if output:
            tmp = Path(output).with_name(Path(output).name + ".partial")
            with open(tmp, "w", encoding="utf-8", newline="") as out:
                n = write_records(records, what, fmt, out)
            tmp.replace(output)
            click.echo(f"exported {n} {what} to {output}", err=True)
        else:
            write_records(records, what, fmt, sys.stdout)


@main.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1; env VOC_HOST].")
@click.option("--port", type=int, default=None, help="Port to listen on [default: 8000; env VOC_PORT].")
@global_options
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the HTTP API and dashboard with a production WSGI server (waitress)."""
    config = load_config(ctx)
    _serve(config, host or config.server.host, port or config.server.port)


def _serve(config, host: str, port: int) -> None:
    import logging

    import waitress

    from api import create_app
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(config)
    click.echo(f"voc serving {config.db_path} at http://{host}:{port}/  (Ctrl-C stops)", err=True)
    waitress.serve(app, host=host, port=port, threads=config.server.threads, ident="voc")


@main.command()
@click.option("--once", is_flag=True, help="Run the jobs waiting in the queue, then stop.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between looks at an empty queue.")
@global_options
@click.pass_context
def worker(ctx: click.Context, once: bool, poll: float) -> None:
    """Run queued jobs (analysis of uploads) in this process, until stopped.

    `voc serve` runs a worker of its own; start more with this command, on the same database.
    Jobs survive restarts: one interrupted mid-way is taken up again by the next worker.
    """
    import logging

    from voc.worker import Worker
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = load_config(ctx)
    open_store(config).close()  # create and migrate the database, mirror voc.toml
    job_worker = Worker(config, poll_s=poll)
    if once:
        click.echo(f"ran {job_worker.run_pending()} job(s)")
        return
    click.echo(f"voc worker on {config.db_path} (Ctrl-C stops)", err=True)
    job_worker.run_forever()


@main.command()
@global_options
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show what the database holds: counts, documents waiting for analysis, schema version."""
    config = load_config(ctx)
    with open_store(config) as store:
        counts = store.counts()
        click.echo(f"database        {config.db_path} (schema v{store.schema_version()})")
        click.echo(f"config          {config.config_path or '(built-in defaults)'}")
        for table, n in counts.items():
            click.echo(f"{table:<15} {n}")
        click.echo(f"{'pending':<15} {store.count_pending()}")


@main.group()
def keys() -> None:
    """Create, list and revoke API keys (stored hashed)."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(["admin", "analyst", "marketing", "product",
                                                          "contact_center", "department"]), help="What the key may do.")
@click.option("--department", metavar="NAME", help="For --role department: the department whose inbox it opens.")
@click.option("--name", required=True, help="Who or what uses the key (shown in the audit log).")
@global_options
@click.pass_context
def keys_create(ctx: click.Context, role: str, department: str | None, name: str) -> None:
    """Create an API key and print it once (it cannot be shown again)."""
    config = load_config(ctx)
    with open_store(config) as store:
        click.echo(store.create_api_key(name=name, role=role, department=department))


@keys.command("list")
@global_options
@click.pass_context
def keys_list(ctx: click.Context) -> None:
    """List API keys: name, role, department, prefix, created and revoked times."""
    config = load_config(ctx)
    with open_store(config) as store:
        for k in store.list_api_keys():
            state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
            click.echo(f"{k['name']:<24} {k['role']:<15} {k['department'] or '-':<15} {k['prefix']}…  "
                       f"created {k['created_at']}  {state}")


@keys.command("revoke")
@click.argument("name")
@global_options
@click.pass_context
def keys_revoke(ctx: click.Context, name: str) -> None:
    """Revoke every active key with this name."""
    config = load_config(ctx)
    with open_store(config) as store:
        n = store.revoke_api_key(name)
    click.echo(f"revoked {n} key(s) named {name}")


@main.group()
def train() -> None:
    """Retrain a model from your own labelled data."""


@train.command("sentiment")
@click.option("--data", "data", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV or JSON Lines with a text and a label column (negative/neutral/positive, -1/0/1, or stars "
              "1-5); repeatable.")
@click.option("--text-column", default=None, help="Column holding the text [default: text, comment, review, ...].")
@click.option("--label-column", default=None, help="Column holding the label [default: label, sentiment, stars, ...].")
@click.option("--output", type=click.Path(file_okay=False), default="models/sentiment-custom", show_default=True,
              help="Folder to write the model to; point [nlp] sentiment_model (or VOC_SENTIMENT_MODEL) at it.")
@click.option("--holdout", type=click.FloatRange(0.0, 0.5), default=0.2, show_default=True,
              help="Share of the examples held out to measure macro-F1 and tune the decision biases.")
@global_options
@click.pass_context
def train_sentiment_command(ctx: click.Context, data: tuple[str, ...], text_column: str | None,
                            label_column: str | None, output: str, holdout: float) -> None:
    """Retrain the sentiment model on labelled feedback and write it to a folder.

    Fits a logistic regression on MiniLM embeddings and one on TF-IDF n-grams, measures macro-F1 on a
    held-out share and tunes their mix and the decision biases there. Prints the held-out macro-F1.
    The texts' embeddings are kept in the database's embedding cache, so retraining is quick.
    """
    from voc.nlp.models import embedding_model_dir
    from voc.nlp.sentiment.train import read_examples, train_sentiment
    config = load_config(ctx)
    examples = [ex for path in data for ex in read_examples(Path(path), text_column=text_column,
                                                             label_column=label_column)]
    click.echo(f"{len(examples)} labelled examples from {len(data)} file(s)", err=True)
    bars: dict[str, Any] = {}

    def progress(step: str, done: int, total: int) -> None:
        if not _stderr_is_terminal():
            return
        from tqdm import tqdm
        if step not in bars:
            for bar in bars.values():
                bar.close()
            bars[step] = tqdm(total=total, desc=step, file=sys.stderr)
        bars[step].update(done - bars[step].n)
    with open_store(config) as store:  # its embedding cache spares re-encoding when retraining
        card = train_sentiment(examples, base_model_dir=embedding_model_dir(config.nlp.embedding_model),
                               base_model=config.nlp.embedding_model, output=Path(output), holdout=holdout,
                               cache=store, on_progress=progress)
    for bar in bars.values():
        bar.close()
    f1 = card.metrics.get("held_out_macro_f1")
    click.echo(f"wrote {output} ({card.version})" + (f"; held-out macro-F1 {f1:.3f}" if f1 is not None else ""))


@main.command()
@click.option("--corpora", type=click.Path(file_okay=False), default=None,
              help="Folder of sample corpora [default: ./corpora, else the one beside the voc package].")
@click.option("--rebuild", is_flag=True, help="Rebuild even when the demo database matches the corpora.")
@click.option("--no-serve", is_flag=True, help="Build and analyse, then stop instead of serving.")
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [default: 8000].")
@global_options
@click.pass_context
def demo(ctx: click.Context, corpora: str | None, rebuild: bool, no_serve: bool, host: str | None,
         port: int | None) -> None:
    """Build a demo database from corpora/, analyse it, print an admin key and serve.

    The database (default ./.voc-demo/voc.db) is rebuilt when the corpora changed or with
    --rebuild, otherwise reused, so a second start takes seconds.
    """
    from voc.demo import build_demo, find_corpora
    corpora_dir = find_corpora(corpora)
    if "voc.config" not in ctx.meta and not os.environ.get("VOC_CONFIG") and (corpora_dir / "voc.toml").is_file():
        ctx.meta["voc.config"] = str(corpora_dir / "voc.toml")
    if "voc.db" not in ctx.meta and not os.environ.get("VOC_DB"):
        ctx.meta["voc.db"] = ".voc-demo/voc.db"
    config = load_config(ctx)
    key = build_demo(config, corpora_dir, rebuild=rebuild, echo=lambda line: click.echo(line, err=True))
    host, port = host or config.server.host, port or config.server.port
    click.echo(f"\n  voc demo: http://{host}:{port}/\n  admin API key: {key}\n")
    if not no_serve:
        _serve(config, host, port)


from voc.commands.promises import promises  # noqa: E402

main.add_command(promises)


if __name__ == "__main__":
    main()
