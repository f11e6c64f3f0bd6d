"""Who is who in a transcript: a role for every named speaker, and where it came from.

Sources, strongest first: the data (a ``role`` field, or a speaker label such as "Agent",
"Customer (Jane)", "Moderator", "Participant 3"), the ``[transcripts]`` section of voc.toml (known
agent names, name patterns), then inference from what is said: in a two-party conversation the side
that greets and offers help is the agent; in a focus group or interview the one who asks the
questions is the moderator and everyone else a participant. Anything still open is ``unknown``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Mapping, Sequence

if TYPE_CHECKING:
    from voc.config import TranscriptSettings

#: speaker labels, tried in this order (so "Customer Service" is an agent, not a customer)
_LABELS: list[tuple[str, re.Pattern]] = [
    ("agent", re.compile(r"\bcustomer[ _-]?(?:service|support|care|success)\b", re.I)),
    ("moderator", re.compile(r"\b(?:moderator|interviewer|facilitator|researcher)\b", re.I)),
    ("participant", re.compile(r"\b(?:participant|respondent|interviewee|panell?ist|attendee|[pr]\d{1,3})\b",
                               re.I)),
    ("customer", re.compile(r"\b(?:customer|caller|client|consumer|cust)\b", re.I)),
    ("agent", re.compile(r"\b(?:agent|rep|representative|advis[oe]r|support|csr|operator|help ?desk|"
                         r"service ?desk|(?:chat)?bot)\b", re.I)),
]
#: values of a "role" field that are not role names themselves (chat exports, LLM-style messages)
_ROLE_VALUES = {"user": "customer", "assistant": "agent", "human": "customer", "ai": "agent",
                "staff": "agent", "employee": "agent"}
ROLE_NAMES = ("customer", "agent", "moderator", "participant", "unknown")

_AGENT_CUES: list[tuple[re.Pattern, int]] = [(re.compile(p, re.I), w) for p, w in [
    (r"\bthanks?(?: you)? (?:so much )?for (?:calling|contacting|reaching out|choosing|holding|waiting|"
     r"your patience|being a)", 2),
    (r"\bhow (?:can|may|might|could) (?:i|we) (?:help|assist)", 2),
    (r"\bwhat can i (?:do|help) (?:for|with) you", 2),
    (r"\banything else (?:that )?(?:i|we) can (?:help|do|assist)", 2),
    (r"\byou(?:'ve| have) reached\b", 2),
    (r"^\W*(?:\w+\W+){0,3}?\w+ speaking\b", 2),
    (r"\byou(?:'re| are) speaking (?:to|with)\b", 2),
    (r"\bwelcome to\b", 1),
    (r"\bmy name is \w+", 1),
    (r"\b(?:can|could|may) i (?:have|get|take|confirm|verify) your (?:full )?(?:name|account|order|e-?mail|"
     r"phone|number|post ?code|zip|date of birth|address|reference|card)", 2),
    (r"\bfor (?:security|verification) (?:purposes|reasons)\b", 1),
    (r"\blet me (?:check|look|pull|see|transfer|verify|find)\b", 1),
    (r"\bi(?:'ll| will) (?:transfer|escalate|put you through|raise a|open a|process)\b", 1),
    (r"\b(?:sorry|apologi[sz]e) for (?:the|any) (?:inconvenience|wait|trouble|delay)\b", 1),
]]
_CUSTOMER_CUES: list[tuple[re.Pattern, int]] = [(re.compile(p, re.I), w) for p, w in [
    (r"\bi(?:'m| am) (?:calling|writing|contacting you|reaching out) (?:about|because|regarding|to|as)\b", 2),
    (r"\bmy (?:order|account|bill|invoice|card|package|parcel|refund|delivery|subscription|booking|payment|"
     r"router|phone|flight)\b", 1),
    (r"\bi (?:was|have been|got|'ve been) (?:charged|billed|overcharged|double charged)\b", 1),
    (r"\bi (?:want|need|would like|'d like) (?:a |to |my )", 1),
    (r"\b(?:i have|i've got|there'?s) (?:a|an) (?:problem|question|complaint|issue)\b", 1),
]]
#: the agent is told apart from the customer only when the cues say so by this margin
_MARGIN = 2


def label_role(name: str | None) -> str | None:
    """The role a speaker label or a role value names ("Agent 2" -> agent), or None."""
    if not name:
        return None
    value = name.strip().lower()
    if value in ROLE_NAMES:
        return value
    if value in _ROLE_VALUES:
        return _ROLE_VALUES[value]
    for role, pattern in _LABELS:
        if pattern.search(value):
            return role
    return None


def configured_role(name: str, settings: "TranscriptSettings") -> str | None:
    """The role voc.toml gives a speaker name: ``agent_names`` first, then the ``*_patterns``."""
    folded = " ".join(name.split()).casefold()
    if any(" ".join(known.split()).casefold() == folded for known in settings.agent_names):
        return "agent"
    for role in ("agent", "customer", "moderator", "participant"):
        for pattern in getattr(settings, f"{role}_patterns"):
            if re.search(pattern, name, re.IGNORECASE):
                return role
    return None


def assign_roles(turns: Sequence[tuple[str | None, str]], kind: str, settings: "TranscriptSettings | None",
                 explicit: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """``(roles, sources)`` for every named speaker of ``turns`` (``(speaker, text)`` in order).

    ``explicit`` holds roles the data states (a role field, a participants list). A source is
    ``label``, ``config``, ``inferred``, or ``none`` for a speaker left ``unknown``.
    """
    from voc.config import TranscriptSettings
    settings = settings or TranscriptSettings()
    order = list(dict.fromkeys(s for s, _ in turns if s))
    roles: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in order:
        role = (explicit or {}).get(name)
        if role in ROLE_NAMES and role != "unknown":
            roles[name], sources[name] = role, "label"
            continue
        role = label_role(name)
        if role:
            roles[name], sources[name] = role, "label"
            continue
        role = configured_role(name, settings)
        if role:
            roles[name], sources[name] = role, "config"
    if settings.infer_roles:
        for name, role in _infer(order, turns, roles, kind, settings).items():
            roles[name], sources[name] = role, "inferred"
    for name in order:
        if name not in roles:
            roles[name], sources[name] = "unknown", "none"
    return {n: roles[n] for n in order}, {n: sources[n] for n in order}


def _infer(order: list[str], turns: Sequence[tuple[str | None, str]], known: dict[str, str], kind: str,
           settings: "TranscriptSettings") -> dict[str, str]:
    open_ = [s for s in order if s not in known]
    if not open_:
        return {}
    taken = set(known.values())
    out: dict[str, str] = {}
    if kind in ("focus_group", "interview") or taken & {"moderator", "participant"}:
        if "moderator" not in taken and len(order) > 1:
            asker = _questioner(order, turns, open_)
            if asker:
                out[asker] = "moderator"
        out.update({s: "participant" for s in open_ if s not in out})
        return out
    if len(order) != 2:
        return out
    if len(open_) == 1:
        other = known[next(s for s in order if s != open_[0])]
        opposite = {"agent": "customer", "customer": "agent"}.get(other)
        return {open_[0]: opposite} if opposite else {}
    scores = {s: _service_score(s, turns, settings) for s in order}
    first, second = sorted(order, key=lambda s: -scores[s])
    if scores[first] >= _MARGIN and scores[first] - scores[second] >= _MARGIN:
        return {first: "agent", second: "customer"}
    return {}


def _questioner(order: list[str], turns: Sequence[tuple[str | None, str]], open_: list[str]) -> str | None:
    """The speaker who asks the most questions (the first speaker wins a tie), if anyone asks."""
    asked = Counter(s for s, text in turns if s in open_ and "?" in text)
    if not asked:
        return None
    return max(open_, key=lambda s: (asked[s], s == order[0]))


def _service_score(speaker: str, turns: Sequence[tuple[str | None, str]], settings: "TranscriptSettings") -> int:
    """How much ``speaker`` sounds like the agent (greetings, offers of help) minus like the customer."""
    companies = [re.compile(r"\b(?:calling|welcome to|reached|this is|here at|from|with)\s+(?:the\s+)?%s\b"
                            % re.escape(c), re.I) for c in settings.company_names]
    score = 0
    own = [text for s, text in turns if s == speaker]
    for n, text in enumerate(own):
        score += sum(w for p, w in _AGENT_CUES if p.search(text))
        score -= sum(w for p, w in _CUSTOMER_CUES if p.search(text))
        if n < 2 and any(c.search(text) for c in companies):
            score += 2
    return score
