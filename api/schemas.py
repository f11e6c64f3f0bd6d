"""JSON Schemas of the API's bodies (OpenAPI ``components.schemas``) and the shared query parameters."""

from __future__ import annotations

from voc.records import KINDS, ROLES as SPEAKER_ROLES, SENTIMENT_LABELS
from voc.store.store import ROLES as KEY_ROLES

S = {"type": "string"}
NS = {"type": ["string", "null"]}
INT = {"type": "integer"}
NUM = {"type": ["number", "null"]}


def obj(required: list[str] | tuple = (), additional: bool = True, **props: dict) -> dict:
    out = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    if not additional:
        out["additionalProperties"] = False
    return out


def arr(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


R = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
SENTIMENT = {"oneOf": [{"type": "null"}, obj(["label", "score"], label={"enum": list(SENTIMENT_LABELS)},
                                                score=NUM)]}
THEME_REF = {"oneOf": [{"type": "null"}, obj(["id", "label"], id=S, label=NS)]}

COMPONENTS: dict[str, dict] = {
    "Error": obj(["error"], error=obj(["code", "message"], code=S, message=S)),
    "Sentence": obj(document_id=S, external_id=NS, seq=INT, speaker=NS, role={"enum": list(SPEAKER_ROLES)},
                    text=S, sentiment=SENTIMENT, theme=THEME_REF, broken_promise={"type": "boolean"},
                    promise_id=NS, departments=arr(S)),
    "Document": obj(["id", "kind"], id=S, external_id=NS, kind={"enum": list(KINDS)}, source=S, received_at=NS,
                    title=NS, sentiment=SENTIMENT, themes=arr(obj(id=S, label=NS)), broken_promises=arr({"type": "object"}),
                    departments=arr(S), sentences=arr(R("Sentence"))),
    "NewDocument": obj(["kind"], additional=False, kind={"enum": list(KINDS)},
                       text={"type": "string", "description": "the text; or give utterances"},
                       utterances=arr(obj(["text"], additional=False, speaker=NS, role={"enum": list(SPEAKER_ROLES)},
                                          text={"type": "string", "minLength": 1}), minItems=1),
                       external_id=NS, received_at={"type": "string", "format": "date-time"}, title=NS, source=NS, metadata={"type": "object"}),
    "Accepted": obj(["ids", "job_id"], ids=arr(S), created=INT, duplicates=arr(S), batch_id=S, job_id=S),
    "UploadResult": obj(["batch_id", "accepted", "duplicates", "rejected", "job_id"], batch_id=S,
                        accepted={"type": "integer", "description": "documents stored"},
                        duplicates={"type": "integer", "description": "documents already stored"},
                        rejected=arr(obj(["file", "error"], file=S, error=S, item=NS)),
                        files=arr(obj(file=S, status=S, kind=NS, accepted=INT, duplicates=INT, rejected=INT,
                                      error=NS)),
                        job_id=S),
    "Job": obj(["id", "status", "progress", "error"], id=S, kind=S,
               status={"enum": ["queued", "running", "done", "failed"]},
               progress={"type": "number", "minimum": 0, "maximum": 1}, done=INT, total={"type": ["integer", "null"]},
               error=NS, result={}, attempts=INT, created_at=NS, started_at=NS, finished_at=NS, heartbeat_at=NS),
    "SentimentMix": obj(negative=INT, neutral=INT, positive=INT, net=NUM),
    "Trend": arr(obj(week={"type": "string", "format": "date"}, volume=INT, negative=INT)),
    "Theme": obj(["id", "label", "volume"], id=S, label=S, description=NS, keywords=arr(S), parent_id=NS,
                 seed={"type": "boolean"}, status=NS, volume=INT, documents=INT, sentiment=R("SentimentMix"),
                 trend=R("Trend")),
    "Verbatim": obj(sentence_id=INT, document_id=S, seq=INT, role=S, speaker=NS, text=S, sentiment=SENTIMENT,
                    kind=S, received_at=NS),
    "Promise": obj(["id", "text"], id=S, text=S, department=NS, target=NS, channel=NS, valid_from=NS, valid_to=NS,
                   source=NS, created_at=NS, updated_at=NS),
    "PromiseInput": obj(["id", "text"], additional=False, id={"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
                        text={"type": "string", "minLength": 1}, department=NS, target=NS, channel=NS,
                        valid_from=NS, valid_to=NS),
    "PromisePatch": obj(additional=False, text={"type": "string", "minLength": 1}, department=NS, target=NS,
                        channel=NS, valid_from=NS, valid_to=NS),
    "Quantity": {"oneOf": [{"type": "null"}, obj(median={"type": "number"}, unit=S, n=INT)]},
    "PromiseGap": obj(["promise_id", "mentions", "broken", "broken_rate"], promise_id=NS, promise=NS, owner=NS,
                      target=NS, channel=NS, mentions=INT, broken=INT, broken_rate=NUM,
                      trend=arr(obj(week=S, broken=INT)), promised=R("Quantity"), reported=R("Quantity"),
                      examples=arr({"type": "object"})),
    "CandidateQuantity": {"oneOf": [{"type": "null"}, obj(["value", "unit", "n"], value={"type": ["number", "string"]},
                                                            unit=S, n=INT)]},
    "PromiseCandidate": obj(
        ["candidate_id", "text", "mentions", "findings", "suggested"], candidate_id=S, text=S, phrase=NS,
        quantity_kind={"enum": ["duration", "time", "date", "money", None]}, target=NS,
        promised=R("CandidateQuantity"), reported=R("CandidateQuantity"), mentions=INT, findings=INT,
        first_seen=NS, last_seen=NS, department=NS, cohesion={"type": "number"},
        examples=arr(obj(finding_id=INT, document_id=S, evidence=NS, promised_value=NS, reported_value=NS,
                         received_at=NS)),
        suggested=obj(["id", "text"], id=S, text=S, department=NS, target=NS)),
    "CandidateAccept": obj(additional=False, id={"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
                           text={"type": "string", "minLength": 1}, department=NS, target=NS, channel=NS,
                           valid_from=NS, valid_to=NS),
    "AcceptedCandidate": obj(["candidate_id", "promise", "job_id"], candidate_id=S, promise=R("Promise"),
                             job_id={"type": "string", "description": "the analysis job that links the broken "
                                                                      "promises again"}),
    "Department": obj(["name"], name=S, description=S, keywords=arr(S), examples=arr(S), webhook={"type": "boolean"},
                      source=NS, insights=obj(total=INT, open=INT, acknowledged=INT, resolved=INT)),
    "Insight": obj(["id", "title", "status"], id=INT, key=S, kind=S, title=S, summary=NS, severity=NS,
                   department=NS, status=S, routed_by=NS, confidence=NUM, theme=THEME_REF, promise_id=NS,
                   created_at=NS, updated_at=NS, findings=INT, evidence=arr({"type": "object"}),
                   events=arr({"type": "object"})),
    "InsightPatch": obj(additional=False, status={"enum": ["acknowledged", "resolved"]}, note=NS,
                        department={"type": "string", "minLength": 1}),
    "SearchHit": obj(["sentence_id", "document_id", "text", "score"], sentence_id=INT, document_id=S, seq=INT,
                     role=S, speaker=NS, text=S, sentiment=SENTIMENT, theme=THEME_REF, kind=S, received_at=NS,
                     score={"type": "number"}, match={"enum": ["keyword", "semantic", "both"]},
                     similarity=NUM),
    "ApiKey": obj(["id", "name", "role"], id=INT, name=S, role={"enum": list(KEY_ROLES)}, department=NS, prefix=NS,
                  created_at=NS, revoked_at=NS, last_used_at=NS,
                  key={"type": "string", "description": "only in the answer to POST, never again"}),
    "ApiKeyInput": obj(["name", "role"], additional=False, name={"type": "string", "minLength": 1},
                       role={"enum": list(KEY_ROLES)}, department=NS),
}
