"""What every ``voc`` command shares: error handling, the global options, configuration and store."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Callable

import click

from voc.errors import VocError

KIND_CHOICES = ["email", "transcript", "focus_group", "interview", "complaint", "survey", "review", "social", "note"]


class VocGroup(click.Group):
    """Turns errors into one line (``--debug`` or ``VOC_DEBUG=1`` shows the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - the one place every error ends up
            if ctx.meta.get("voc.debug") or os.environ.get("VOC_DEBUG"):
                traceback.print_exc()
            if isinstance(exc, VocError):
                click.echo(f"error: {exc.message}", err=True)
            else:
                click.echo(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)",
                           err=True)
            ctx.exit(1)


def _remember(key: str) -> Callable:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None and value is not False:
            ctx.meta[key] = value
        return value
    return callback


def global_options(f: Callable) -> Callable:
    """``--db``, ``--config`` and ``--debug``, accepted before or after the command name."""
    f = click.option("--debug", is_flag=True, expose_value=False, callback=_remember("voc.debug"),
                     help="Show the full traceback when something fails.")(f)
    f = click.option("--config", "config_path", type=click.Path(dir_okay=False), expose_value=False,
                     callback=_remember("voc.config"),
                     help="voc.toml to use [env VOC_CONFIG; default ./voc.toml when present].")(f)
    f = click.option("--db", type=click.Path(dir_okay=False), expose_value=False, callback=_remember("voc.db"),
                     help="SQLite database file [env VOC_DB; default ./voc.db].")(f)
    return f


def load_config(ctx: click.Context):
    from voc.config import VocConfig
    return VocConfig.load(ctx.meta.get("voc.config"), db=ctx.meta.get("voc.db"))


def open_store(config):
    from voc.store import VocStore
    store = VocStore(config.db_path)
    store.sync_config(config)
    return store


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
