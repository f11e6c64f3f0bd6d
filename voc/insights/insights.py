"""From findings to insights a department can act on.

:func:`route_and_aggregate` runs after the pipeline and the theme stage:

1. every negative customer sentence becomes a ``complaint`` finding (once);
2. every finding not yet routed gets a department: an explicit ``[[routes]]`` rule first, then the
   owner of a broken promise, then the semantic router (adapted to this corpus and to past
   corrections); below its confidence threshold the finding is explicitly ``unrouted``;
3. findings join the open insight of their key (``broken_promise:refund-5-days``,
   ``complaints:T3:billing``, ``spike:T3:2026-W33``, ...), whose title, severity and confidence are
   recomputed; new evidence never duplicates an open insight;
4. insights that are new or grew more severe are queued for their department's webhook.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from voc.insights.rules import RoutingItem, check_rules, first_match
from voc.insights.router import Route
from voc.insights.summaries import describe
from voc.records import VOICE_ROLES

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.insights.router import SemanticRouter
    from voc.store import VocStore

COMPLAINT_STAGE = "voc.insights.complaints.v1"
ROUTE_STAGE = "voc.route.v1"
ROUTED_KINDS = ("broken_promise", "commitment", "complaint", "theme_spike", "emerging_theme")
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
#: a document this short (a tweet, a review, a survey answer) is routed as a whole: its sentences
#: alone ("thanks for nothing.") often do not say what the complaint is about
SHORT_DOCUMENT = 500
_ROUTING_TEXT = (f"case when length(coalesce(d.text, '')) between 1 and {SHORT_DOCUMENT} then d.text "
                 "else coalesce(s.text, f.evidence) end")
Progress = Callable[[int, int], None]


@dataclass
class RoutingSummary:
    complaints_added: int = 0
    findings_routed: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    unrouted: int = 0
    insights_created: int = 0
    insights_updated: int = 0
    webhooks_queued: int = 0

    def line(self) -> str:
        methods = ", ".join(f"{k} {v}" for k, v in sorted(self.by_method.items())) or "none"
        return (f"routed {self.findings_routed} findings ({methods}; unrouted {self.unrouted}); insights: "
                f"{self.insights_created} new, {self.insights_updated} updated; webhooks queued "
                f"{self.webhooks_queued}")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def add_complaint_findings(store: "VocStore") -> int:
    """One ``complaint`` finding per negative customer sentence that has none yet."""
    voice = ",".join(f"'{r}'" for r in VOICE_ROLES)
    with store.transaction():
        cur = store.conn.execute(
            "insert into findings (kind, document_id, sentence_id, theme_id, evidence, confidence, stage, created_at) "
            "select 'complaint', s.document_id, s.id, s.theme_id, s.text, abs(coalesce(s.sentiment_score, 1.0)), "
            f"?, ? from sentences s where s.sentiment_label = 'negative' and s.role in ({voice}) "
            "and not exists (select 1 from findings f where f.sentence_id = s.id and f.kind = 'complaint')",
            [COMPLAINT_STAGE, _now()])
    return cur.rowcount


def _pending_items(store: "VocStore") -> list[dict]:
    kinds = ",".join(f"'{k}'" for k in ROUTED_KINDS)
    return list(store.db.query(
        "select f.id, f.kind, f.document_id, f.sentence_id, coalesce(f.theme_id, s.theme_id) as theme_id, "
        f"{_ROUTING_TEXT} as routing_text, "
        "f.promise_id, f.evidence, f.detail, f.created_at, s.text as sentence, s.sentiment_label, "
        "d.kind as document_kind, d.metadata, coalesce(d.received_at, f.created_at) as at, "
        "t.label as theme_label, t.description as theme_description, t.keywords as theme_keywords, "
        "p.department as promise_department "
        "from findings f left join sentences s on s.id = f.sentence_id left join documents d on d.id = f.document_id "
        "left join themes t on t.id = coalesce(f.theme_id, s.theme_id) left join promises p on p.id = f.promise_id "
        f"where f.kind in ({kinds}) and not exists (select 1 from finding_routes r where r.finding_id = f.id) "
        "order by f.id"))


def _item(row: dict) -> RoutingItem:
    if row["kind"] in ("theme_spike", "emerging_theme"):
        keywords = ", ".join(json.loads(row["theme_keywords"] or "[]")[:8]) if row["theme_keywords"] else ""
        text = ". ".join(x for x in (row["theme_label"], row["theme_description"], keywords) if x)
    else:
        text = row["routing_text"] or row["sentence"] or row["evidence"] or ""
    try:
        metadata = json.loads(row["metadata"] or "{}")
    except ValueError:
        metadata = {}
    return RoutingItem(text=text or "", finding_kind=row["kind"], document_kind=row["document_kind"],
                       sentiment=row["sentiment_label"], theme_id=row["theme_id"], theme_label=row["theme_label"],
                       promise_id=row["promise_id"], metadata=metadata if isinstance(metadata, dict) else {})


def build_router(store: "VocStore", config: "VocConfig", *, encode: Callable | None = None,
                 corpus_limit: int = 20000) -> "SemanticRouter | None":
    """The semantic router, adapted to the customer's negative sentences and taught every correction."""
    if not config.departments:
        return None
    from voc.insights.encoding import cached_encoder, minilm_encoder
    from voc.insights.router import SemanticRouter
    from voc.nlp.models import embedding_model_id
    if encode is None:
        encode = cached_encoder(store, embedding_model_id(config.nlp.embedding_model),
                                minilm_encoder(config.nlp.embedding_model, batch_size=config.nlp.batch_size))
    router = SemanticRouter(config.departments, encode)
    corpus = [r[0] for r in store.conn.execute(
        f"select distinct {_ROUTING_TEXT} as t from findings f left join sentences s on s.id = f.sentence_id "
        "left join documents d on d.id = f.document_id where f.kind = 'complaint' and t is not null "
        "order by f.id desc limit ?", [corpus_limit])]
    if corpus:
        router.fit(corpus)
    corrections = list(store.db.query("select text, department from routing_corrections order by id"))
    if corrections:
        router.add_corrections([c["text"] for c in corrections], [c["department"] for c in corrections])
    return router


def route_items(rows: list[dict], items: list[RoutingItem], config: "VocConfig",
                router: "SemanticRouter | None") -> list[Route]:
    """Rules, then promise owners, then the semantic router; unrouted when nothing is confident."""
    rules = tuple(getattr(config, "routes", ()) or ())
    names = [d.name for d in config.departments]
    check_rules(rules, names)
    routes: list[Route | None] = []
    for row, item in zip(rows, items):
        rule = first_match(rules, item)
        if rule is not None:
            routes.append(Route(rule.department, 1.0, "rule", rule=rule.label))
        elif row["promise_department"] and row["promise_department"] in names:
            routes.append(Route(row["promise_department"], 1.0, "promise_owner"))
        else:
            routes.append(None)
    todo = [i for i, r in enumerate(routes) if r is None and items[i].text.strip()]
    if router is not None and todo:
        for i, route in zip(todo, router.route([items[i].text for i in todo])):
            routes[i] = route
    return [r if r is not None else Route(None, 0.0, "unrouted") for r in routes]


def insight_key(row: dict, route: Route) -> str:
    dept = route.department or "unrouted"
    kind, theme, promise = row["kind"], row["theme_id"] or "unthemed", row["promise_id"]
    if kind == "broken_promise":
        return f"broken_promise:{promise}" if promise else f"broken_promise:unregistered:{dept}"
    if kind == "commitment":
        return f"commitment:{promise or 'unregistered'}:{dept}"
    if kind == "theme_spike":
        detail = json.loads(row["detail"] or "{}") if row["detail"] else {}
        week = detail.get("week") or _week(row["at"])
        return f"spike:{theme}:{week}"
    if kind == "emerging_theme":
        return f"emerging:{theme}"
    return f"complaints:{theme}:{dept}"


def _week(at: str | None) -> str:
    try:
        day = dt.datetime.fromisoformat((at or "").replace("Z", "+00:00")).date()
    except ValueError:
        day = dt.date.today()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def route_and_aggregate(store: "VocStore", config: "VocConfig", *, on_progress: Progress | None = None,
                        router: "SemanticRouter | None" = None, encode: Callable | None = None,
                        now: dt.datetime | None = None) -> RoutingSummary:
    """Route every finding not yet routed and fold it into the open insight of its key."""
    from voc.insights.delivery import enqueue
    summary = RoutingSummary()
    store.sync_config(config)
    summary.complaints_added = add_complaint_findings(store)
    rows = _pending_items(store)
    if not rows:
        return summary
    items = [_item(r) for r in rows]
    needs_router = any(r["promise_department"] is None for r in rows)
    if router is None and needs_router:
        router = build_router(store, config, encode=encode)
    routes = route_items(rows, items, config, router)
    stamp = _now()
    by_key: dict[str, list[tuple[dict, Route]]] = defaultdict(list)
    for row, route in zip(rows, routes):
        by_key[insight_key(row, route)].append((row, route))
    total, done = len(by_key), 0
    with store.transaction():
        store.db["finding_routes"].insert_all(
            ({"finding_id": row["id"], "department": route.department, "routed_by": route.routed_by,
              "confidence": round(route.confidence, 4), "rule": route.rule, "stage": ROUTE_STAGE, "at": stamp}
             for row, route in zip(rows, routes)), replace=True)
        for key, members in by_key.items():
            created, grew = _fold(store, key, members, stamp, now)
            summary.insights_created += created
            summary.insights_updated += not created
            if grew:
                event = "insight.created" if created else "insight.escalated"
                summary.webhooks_queued += enqueue(store, config, grew, event, now=now)
            done += 1
            if on_progress:
                on_progress(done, total)
    counts = Counter(r.routed_by for r in routes)
    summary.findings_routed = len(routes)
    summary.by_method = dict(counts)
    summary.unrouted = counts.get("unrouted", 0)
    return summary


def _fold(store: "VocStore", key: str, members: list[tuple[dict, Route]], stamp: str,
          now: dt.datetime | None) -> tuple[bool, int | None]:
    """Attach findings to the open insight of ``key`` (creating it); returns (created, id if it grew)."""
    row, route = members[0]
    found = store.conn.execute("select id, severity from insights where key = ?", [key]).fetchone()
    created = found is None
    if created:
        insight_id = store.db["insights"].insert({
            "key": key, "kind": row["kind"], "title": key, "status": "new", "department": route.department,
            "routed_by": route.routed_by, "confidence": route.confidence, "theme_id": row["theme_id"],
            "promise_id": row["promise_id"], "created_at": stamp, "updated_at": stamp}).last_pk
        store.db["insight_events"].insert({"insight_id": insight_id, "at": stamp, "actor": "voc", "action": "create",
                                           "to_status": "new", "department": route.department,
                                           "note": f"routed by {route.routed_by}"})
        before = -1
    else:
        insight_id, before = found[0], SEVERITY_RANK.get(found[1] or "low", 0)
    store.db["insight_findings"].insert_all(({"insight_id": insight_id, "finding_id": r["id"]} for r, _ in members),
                                            ignore=True)
    fields = describe(store, insight_id, now=now)
    fields["updated_at"] = stamp
    store.db["insights"].update(insight_id, fields)
    if not created:
        store.db["insight_events"].insert({"insight_id": insight_id, "at": stamp, "actor": "voc",
                                           "action": "evidence", "department": fields.get("department"),
                                           "note": f"{len(members)} new finding(s)"})
    after = SEVERITY_RANK.get(fields["severity"], 0)
    return created, insight_id if after > before else None
