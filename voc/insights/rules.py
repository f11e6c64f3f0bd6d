"""Explicit routing rules: ``[[routes]]`` in voc.toml, tried before any semantic routing.

A rule names a department and conditions; every condition it sets must hold (AND), a list inside a
condition means any of its values (OR). Rules are tried by ``priority`` (higher first, then file
order); the first that matches wins::

    [[routes]]
    department = "billing"
    priority = 10
    keywords = ["refund", "chargeback"]     # any of these words (plural/-ed/-ing forms match too)
    sentiment = "negative"                   # negative | neutral | positive
    kind = ["complaint", "email"]            # document kind
    finding = "complaint"                    # finding kind
    theme = "T3"                             # theme id or label
    promise = "refund-5-days"                # promise id
    metadata = {channel = "store"}           # document metadata equals (a list: any of)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from voc.records import KINDS, SENTIMENT_LABELS

FINDING_KINDS = ("broken_promise", "commitment", "complaint", "theme_spike", "emerging_theme")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _problem(field_name: str, message: str, fix: str) -> Exception:
    from voc.config import FieldProblem  # voc.config may import this module: import at call time
    return FieldProblem(field_name, message, fix)


def _as_tuple(name: str, value: Any, allowed: Sequence[str] | None = None) -> tuple[str, ...]:
    values = (value,) if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in values):
        raise _problem(name, f"`{name}` must be a string or a list of strings, found {value!r}",
                       f'write it as {name} = "..." or {name} = ["...", "..."]')
    values = tuple(v.strip() for v in values)
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise _problem(name, f"`{name}` has unknown value(s) {', '.join(map(repr, bad))}",
                           f"use one of {', '.join(allowed)}")
    return values


def stem(word: str) -> str:
    """A light suffix-stripper so that 'refunds', 'refunded' and 'refunding' meet 'refund'."""
    return _stem(word.lower())


@functools.lru_cache(maxsize=1 << 16)  # routing stems every word of thousands of texts; words repeat
def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ied", "ies", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiosl":
        word = word[:-1]  # stopped -> stopp -> stop
    return word


def stems(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower())]


def phrase_in(phrase_stems: Sequence[str], text_stems: Sequence[str]) -> bool:
    """Whether the stemmed phrase occurs as consecutive words of the stemmed text."""
    n = len(phrase_stems)
    if n == 0:
        return False
    return any(list(text_stems[i:i + n]) == list(phrase_stems) for i in range(len(text_stems) - n + 1))


@dataclass(frozen=True)
class RouteRule:
    """One ``[[routes]]`` entry: where findings that meet every condition go."""

    department: str
    priority: int = 0
    name: str | None = None
    keywords: tuple[str, ...] = ()
    sentiment: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    finding: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    promise: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from voc.config import SLUG
        if not isinstance(self.department, str) or not SLUG.match(self.department):
            raise _problem("department", f"`department` must be a department name, found {self.department!r}",
                           'write it as department = "billing" (a name from [[departments]])')
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise _problem("priority", f"`priority` must be a whole number, found {self.priority!r}",
                           "write it as priority = 10 (higher is tried first)")
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()):
            raise _problem("name", f"`name` must be a non-empty string, found {self.name!r}",
                           'write it as name = "refunds to billing" or leave it out')
        for name, allowed in (("keywords", None), ("sentiment", SENTIMENT_LABELS), ("kind", KINDS),
                              ("finding", FINDING_KINDS), ("theme", None), ("promise", None)):
            value = getattr(self, name)
            object.__setattr__(self, name, _as_tuple(name, value, allowed) if value != () else ())
        if not isinstance(self.metadata, Mapping) or not all(isinstance(k, str) for k in self.metadata):
            raise _problem("metadata", f"`metadata` must be a table of field = value, found {self.metadata!r}",
                           'write it as metadata = {channel = "store"}')
        object.__setattr__(self, "metadata", dict(self.metadata))
        if not any((self.keywords, self.sentiment, self.kind, self.finding, self.theme, self.promise,
                    self.metadata)):
            raise _problem("department", f"the route to {self.department!r} has no condition, so it would "
                           "take every finding", "add at least one of keywords, sentiment, kind, finding, "
                           "theme, promise or metadata")
        object.__setattr__(self, "_keyword_stems", tuple(tuple(stems(k)) for k in self.keywords))

    @property
    def label(self) -> str:
        return self.name or f"route to {self.department}"

    def matches(self, item: "RoutingItem") -> bool:
        if self.finding and item.finding_kind not in self.finding:
            return False
        if self.kind and item.document_kind not in self.kind:
            return False
        if self.sentiment and item.sentiment not in self.sentiment:
            return False
        if self.promise and item.promise_id not in self.promise:
            return False
        if self.theme and item.theme_id not in self.theme and \
                (item.theme_label or "").lower() not in {t.lower() for t in self.theme}:
            return False
        for key, wanted in self.metadata.items():
            have = item.metadata.get(key)
            options = wanted if isinstance(wanted, list) else [wanted]
            if have is None or not any(str(have).lower() == str(o).lower() for o in options):
                return False
        if self.keywords:
            text_stems = stems(item.text)
            if not any(phrase_in(k, text_stems) for k in self._keyword_stems):  # type: ignore[attr-defined]
                return False
        return True


@dataclass(frozen=True)
class RoutingItem:
    """What a rule (and the semantic router) sees of a finding."""

    text: str
    finding_kind: str | None = None
    document_kind: str | None = None
    sentiment: str | None = None
    theme_id: str | None = None
    theme_label: str | None = None
    promise_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


def first_match(rules: Sequence[RouteRule], item: RoutingItem) -> RouteRule | None:
    """The matching rule of highest priority (file order breaks ties), or None."""
    ordered = sorted(enumerate(rules), key=lambda pair: (-pair[1].priority, pair[0]))
    return next((rule for _, rule in ordered if rule.matches(item)), None)


def check_rules(rules: Sequence[RouteRule], departments: Sequence[str]) -> None:
    """Every rule must name a configured department."""
    from voc.errors import ConfigError
    known = set(departments)
    for i, rule in enumerate(rules):
        if rule.department not in known:
            raise ConfigError(f"[[routes]] #{i + 1} routes to department {rule.department!r}, which is not "
                              f"configured (configured: {', '.join(sorted(known)) or 'none'}). Fix: use one of "
                              "the [[departments]] names or add that department")
