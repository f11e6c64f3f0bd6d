"""``voc promises``: the registry, the gap report and candidate promises (thin over the library)."""

from __future__ import annotations

from typing import Any, Callable

import click

from voc.commands.common import KIND_CHOICES, global_options, load_config, open_store


@click.group()
def promises() -> None:
    """The promise registry, how often each promise is reported broken, and candidate promises."""


def filter_options(f: Callable) -> Callable:
    """The filters of the API's lists (``--from``, ``--to``, ``--kind``, ``--theme``, ``--department``,
    ``--sentiment``) and ``--format``."""
    for option in reversed([
            click.option("--from", "date_from", metavar="DATE", help="Documents received on or after (ISO 8601)."),
            click.option("--to", "date_to", metavar="DATE", help="Received before (a date alone includes that day)."),
            click.option("--kind", type=click.Choice(KIND_CHOICES), help="Documents of this kind only."),
            click.option("--theme", metavar="ID", help="Documents with a sentence in this theme."),
            click.option("--department", metavar="NAME", help="Documents routed to this department."),
            click.option("--sentiment", type=click.Choice(["negative", "neutral", "positive"]),
                         help="Documents with this overall sentiment."),
            click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                         help="A table for the terminal, or the API's JSON.")]):
        f = option(f)
    return f


def _documents_where(date_from, date_to, kind, theme, department, sentiment) -> tuple[str, list]:
    from voc.store.browse import Filters, iso_bound
    try:
        f = Filters(iso_bound(date_from), iso_bound(date_to, end=True), kind, theme, department, sentiment)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from/--to") from None
    return f.documents_sql()


def _print(rows: Any, fmt: str, lines: Callable[[Any], list[str]]) -> None:
    import json
    click.echo(json.dumps(rows, indent=2, ensure_ascii=False) if fmt == "json" else "\n".join(lines(rows)))


@promises.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="A table for the terminal, or the API's JSON.")
@global_options
@click.pass_context
def promises_list(ctx: click.Context, fmt: str) -> None:
    """List the registered promises (voc.toml and the API): id, owner, target, source, validity, text."""
    from voc.promise_report import promises_lines
    with open_store(load_config(ctx)) as store:
        _print(store.list_promises(), fmt, promises_lines)


@promises.command("gaps")
@filter_options
@click.option("--examples", type=click.IntRange(0, 50), default=3, show_default=True,
              help="Latest verbatims shown per promise.")
@global_options
@click.pass_context
def promises_gaps(ctx: click.Context, fmt: str, examples: int, **filters: Any) -> None:
    """How often each promise is reported broken (the report of GET /api/v1/promises/gaps).

    Per promise, the most broken first: documents mentioning it, documents reporting it broken, the
    rate, the weekly trend of breaks (last 12 weeks), the median promised and reported values, the
    owner and the latest examples. Broken commitments matching no promise are `(unregistered)`.
    """
    from voc.promise_report import gaps_lines
    where, params = _documents_where(**filters)
    with open_store(load_config(ctx)) as store:
        _print(store.promise_gaps(where, params, examples=examples), fmt, gaps_lines)


@promises.command("candidates")
@filter_options
@click.option("--min-mentions", type=click.IntRange(1, 1000), default=3, show_default=True,
              help="Documents a recurring commitment needs to become a candidate.")
@click.option("--examples", type=click.IntRange(0, 50), default=3, show_default=True,
              help="Latest verbatims shown per candidate.")
@click.option("--toml", "as_toml", is_flag=True, help="Print the candidates as [[promises]] entries for voc.toml.")
@global_options
@click.pass_context
def promises_candidates(ctx: click.Context, fmt: str, min_mentions: int, examples: int, as_toml: bool,
                        **filters: Any) -> None:
    """Candidate promises: recurring broken commitments that match no registered promise.

    Clusters the unregistered broken promises by meaning (their stored sentence embeddings) and by
    the kind of quantity promised; each cluster with at least --min-mentions documents is shown with
    a suggested promise (id, text, typical promised value, owner). Register one in voc.toml (--toml
    prints the entries) or with POST /api/v1/promises; the next `voc analyze` links its broken
    promises to it and it leaves this list.
    """
    from voc.nlp.models import embedding_model_id
    from voc.nlp.promises.candidates import find_candidates
    from voc.promise_report import candidates_lines, candidates_toml
    config = load_config(ctx)
    where, params = _documents_where(**filters)
    with open_store(config) as store:
        found = find_candidates(store, embedding_model_id(config.nlp.embedding_model), where, params,
                                min_mentions=min_mentions, examples=examples)
    if as_toml:
        click.echo(candidates_toml(found), nl=False)
    else:
        _print(found, fmt, candidates_lines)
