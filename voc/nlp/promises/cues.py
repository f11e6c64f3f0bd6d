"""Rule cues for commitments and their non-fulfilment, with spaCy's Matcher and DependencyMatcher.

:class:`CueMatcher` turns a parsed sentence into :class:`Cues`: which commitment cues fired (a
company or its agent promised, guaranteed, assured, told, said it would, advertised, confirmed,
quoted, "supposed to", an agreement "breached" or "not honored"; the writer's own words, "I told her
I would pay", do not count), which non-fulfilment cues fired (negation, "still", "never", contrast,
failure words), the tense of the commitment (a reported, past commitment versus a present or future
one), and for agents a first-person future commitment ("I'll call you back tomorrow"). The cues are
both a gate and the rule features of the learned detector (:data:`FEATURES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# commitment lemmas: a verb or noun that states a commitment
STRONG_LEMMAS = ["promise", "guarantee", "assure", "pledge", "vow", "advertise", "quote", "reassure", "ensure",
                 "advertisement", "guarantee", "commitment"]
WEAK_LEMMAS = ["confirm", "confirmation", "agree", "state", "inform", "advise", "offer", "claim", "schedule",
               "expect", "policy", "contract", "agreement", "website", "ad", "email", "letter"]
SPEECH_LEMMAS = ["tell", "say", "state", "inform", "advise", "explain", "assure", "promise", "confirm", "agree",
                 "indicate", "mention", "claim", "guarantee", "reassure", "notify", "write", "respond", "reply"]
FUTURE_AUX = ["would", "will", "'d", "'ll", "wo", "shall", "going", "gonna"]
FAIL_WORDS = ["never", "still", "yet", "nothing", "nobody", "instead", "however", "lie", "lied", "fail", "refuse",
              "deny", "ignore", "false", "mislead", "misled", "despite", "anymore", "again", "late", "delay",
              "cancel", "wait", "waiting", "charge", "bogus", "scam", "liar", "lies", "broken", "nope", "none",
              "no", "not", "n't", "without", "only", "now"]
CONTRAST = ["but", "however", "yet", "instead", "although", "though", "despite", "still", "now", "turns"]
ACTION_LEMMAS = ["call", "send", "refund", "credit", "email", "follow", "get", "look", "fix", "escalate", "reach",
                 "ship", "replace", "contact", "check", "update", "process", "waive", "remove", "reimburse", "pass",
                 "forward", "review", "investigate", "resolve", "help", "arrange", "deliver", "dm", "message",
                 "text", "reply", "respond", "provide", "issue", "correct", "cancel", "reverse", "return"]

#: the flags that make a sentence a candidate: some commitment cue fired
COMMITMENT = ("promise_word", "advertised", "confirmed", "commit_future", "commit_could", "supposed", "said_would",
              "reported_future", "commit_quantity", "breach")

#: the names of the rule features, in the order :meth:`Cues.vector` gives them
FEATURES = ("strong", "weak", "told", "said_would", "supposed", "reported_future", "past_commit",
            "present_commit", "negation", "fail", "contrast", "quantity", "second_person", "question",
            "conditional", "agent_future", "promise_word", "advertised", "confirmed", "commit_future",
            "commit_could", "told_info", "not_done", "time_passed", "first_person", "own_promise", "hope",
            "commit_quantity", "should_have", "own_obligation", "self_speech", "breach")

_COMMIT_FUTURE = re.compile(
    r"\b(told|tell|said|says|say|assured|promised|promising|stated|informed|advised|guaranteed|confirmed|explained|"
    r"indicated|quoted|agreed|claimed)\b[^.!?]{0,80}?\b(would|will|'d|’d|'ll|’ll|going to|gonna|wo n't|won't|"
    r"wouldn't|wouldn’t)\b", re.I)
_COMMIT_COULD = re.compile(r"\b(told|said|assured|promised|stated|informed|advised|guaranteed|confirmed)\b"
                           r"[^.!?]{0,60}?\b(could|can|was able|were able|should)\b", re.I)
_NOT_DONE = re.compile(
    r"\b(never|still|yet|nobody|no one|nothing|no call|no response|no word|not|n't|haven't|hasn't|didn't|"
    r"doesn't|wasn't|weren't|won't|isn't|aren't|instead|lie|lied|lies|lying|liar|false|failed|fail|refuse[sd]?|"
    r"denied|broke|broken|withheld|ignored|not once)\b|n['’]t\b", re.I)
_CONFIRMED = re.compile(r"\b(confirmed|confirmation|confirming that)\b(?! (?:number|code|#|email))", re.I)
_SAID_QUANTITY = re.compile(r"\b(told|tell|tells|telling|said|says|saying|quoted?|promised|assured|stated|states|"
                            r"informed|advised|guaranteed|estimated|given|offered|claimed?)\b", re.I)
#: an agreement, a contract or a commitment broken in so many words ("breached our contract", "weren't honored");
#: a breach or violation needs a commitment word nearby (a data breach or a violated law is no promise)
_HONOURED = re.compile(r"\b(renege[ds]?|reneging|went back on|goes back on|dishonou?r(?:ed|s)?)\b|"
                       r"\b(?:not|n't|never|weren't|wasn't)\s+(?:been\s+|be\s+)?honou?red\b", re.I)
_BREACH = re.compile(r"\b(breach(?:ed|es|ing)?|violat(?:ed|es|ing|ion))\b[^.!?]{0,60}?\b(agreement|contract|terms|"
                     r"promise|deal|commitment|settlement)|\b(agreement|contract|terms|promise|deal|commitment|"
                     r"settlement)\b[^.!?]{0,60}?\b(breach(?:ed|es|ing)?|violat(?:ed|es|ing|ion))\b", re.I)
_BROKEN_PROMISE = re.compile(r"#?\b(?:broken|false|empty)\s?promises?\b", re.I)
_FALSE_AD = re.compile(r"\bfalse\s?advertis", re.I)
_LOOK = ("look", "seem", "sound", "appear")
_TIME_PASSED = re.compile(r"\b(already|ago|now|past|been \w+ (days?|weeks?|months?|hours?)|since|later|"
                          r"over (a|\d+) (days?|weeks?|months?)|well past|by now|today|tonight|this morning)\b",
                          re.I)


@dataclass
class Cues:
    """The cues found in one sentence; ``spans`` keeps (label, start_char, end_char) for evidence."""

    flags: dict[str, float] = field(default_factory=dict)
    spans: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def commitment(self) -> bool:
        f = self.flags
        return any(f.get(k) for k in COMMITMENT)

    @property
    def commitment_end(self) -> int:
        """Character offset just after the first commitment cue (0 when none)."""
        ends = [e for label, _, e in self.spans if label in ("strong", "told", "said_would", "supposed", "weak")]
        return min(ends) if ends else 0

    def vector(self) -> list[float]:
        return [float(self.flags.get(name, 0.0)) for name in FEATURES]


def _patterns() -> dict[str, list[list[dict[str, Any]]]]:
    return {
        "strong": [[{"LEMMA": {"IN": STRONG_LEMMAS}}],
                   [{"LOWER": {"IN": ["promised", "guaranteed", "assured", "advertised", "quoted"]}}]],
        "weak": [[{"LEMMA": {"IN": ["confirm", "confirmation"]}}],
                 [{"LEMMA": "agree"}, {"LOWER": "to"}],
                 [{"LEMMA": {"IN": ["inform", "advise", "notify"]}}, {"POS": "PRON", "OP": "?"}, {"LOWER": "that"}],
                 [{"LEMMA": "state"}, {"LOWER": "that"}],
                 [{"LOWER": {"IN": ["website", "site", "ad", "ads", "app", "email", "letter", "contract", "policy",
                                    "terms", "agreement", "confirmation", "ticket", "itinerary", "tracking"]}},
                  {"LEMMA": {"IN": ["say", "state", "show", "read", "indicate", "list"]}}],
                 [{"LOWER": "according"}, {"LOWER": "to"}],
                 [{"LOWER": "per"}, {"LOWER": {"IN": ["your", "their", "the", "our", "my"]}}],
                 [{"LEMMA": "offer"}], [{"LEMMA": {"IN": ["schedule", "expect"]}, "TAG": "VBN"}, {"LOWER": "to"}]],
        "told": [[{"LEMMA": "tell"}, {"LOWER": {"IN": ["me", "us", "him", "her", "them", "my", "everyone"]}}],
                 [{"LEMMA": "be"}, {"LOWER": "told"}], [{"LEMMA": "be", "OP": "?"}, {"LOWER": "informed"}],
                 [{"LOWER": "you"}, {"LOWER": {"IN": ["said", "say", "told"]}}]],
        "said_would": [[{"LEMMA": {"IN": ["say", "state", "claim", "mention", "indicate", "explain"]}},
                        {"LOWER": "that", "OP": "?"}, {"POS": {"IN": ["PRON", "PROPN", "NOUN", "DET"]}, "OP": "+"},
                        {"LOWER": {"IN": FUTURE_AUX}}]],
        "supposed": [[{"LOWER": {"IN": ["supposed", "suppose", "suppost", "meant", "due", "scheduled", "slated"]}},
                      {"LOWER": "to"},
                      {"POS": {"IN": ["VERB", "AUX"]}}],
                     [{"LOWER": "as"}, {"LOWER": {"IN": ["scheduled", "promised", "advertised", "agreed", "quoted",
                                                          "stated", "confirmed"]}}],
                     [{"LOWER": {"IN": ["scheduled", "originally"]}}, {"LOWER": {"IN": ["departure", "arrival", "time",
                                                                                       "to", "for", "at"]}}]],
    }


def _dep_patterns() -> dict[str, list[list[dict[str, Any]]]]:
    speech = {"RIGHT_ID": "speech", "RIGHT_ATTRS": {"LEMMA": {"IN": SPEECH_LEMMAS}}}
    return {
        # a speech or commitment verb whose clause carries a future auxiliary: "they said it would leave at 5"
        "reported_future": [[speech,
                             {"LEFT_ID": "speech", "REL_OP": ">", "RIGHT_ID": "clause",
                              "RIGHT_ATTRS": {"DEP": {"IN": ["ccomp", "xcomp", "advcl", "conj"]}}},
                             {"LEFT_ID": "clause", "REL_OP": ">", "RIGHT_ID": "aux",
                              "RIGHT_ATTRS": {"DEP": "aux", "LOWER": {"IN": FUTURE_AUX}}}]],
        # any negated verb: "never received", "didn't call"
        "negation": [[{"RIGHT_ID": "verb", "RIGHT_ATTRS": {"POS": {"IN": ["VERB", "AUX"]}}},
                      {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "neg", "RIGHT_ATTRS": {"DEP": "neg"}}]],
        # first person + will/'ll + an action: an agent's commitment
        "agent_future": [[{"RIGHT_ID": "verb", "RIGHT_ATTRS": {"LEMMA": {"IN": ACTION_LEMMAS + ["promise"]}}},
                          {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "subj",
                           "RIGHT_ATTRS": {"DEP": "nsubj", "LOWER": {"IN": ["i", "we", "someone", "they"]}}},
                          {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "aux",
                           "RIGHT_ATTRS": {"DEP": "aux",
                                           "LOWER": {"IN": ["will", "'ll", "shall", "going", "gonna"]}}}]],
        # the action second in a chain: "I'll chase the courier and call you back tomorrow" (not a detector
        # feature: it only widens what counts as an agent's commitment)
        "agent_future_chain": [[{"RIGHT_ID": "head", "RIGHT_ATTRS": {"POS": "VERB"}},
                                {"LEFT_ID": "head", "REL_OP": ">", "RIGHT_ID": "subj",
                                 "RIGHT_ATTRS": {"DEP": "nsubj", "LOWER": {"IN": ["i", "we"]}}},
                                {"LEFT_ID": "head", "REL_OP": ">", "RIGHT_ID": "aux",
                                 "RIGHT_ATTRS": {"DEP": "aux", "LOWER": {"IN": ["will", "'ll", "shall", "going", "gonna"]}}},
                                {"LEFT_ID": "head", "REL_OP": ">", "RIGHT_ID": "action",
                                 "RIGHT_ATTRS": {"DEP": "conj", "LEMMA": {"IN": ACTION_LEMMAS}}}]],
    }


def _self_speech_spans(doc: Any) -> list[tuple[int, int]]:
    """Character spans of speech verbs whose subject is the writer ("I told her", "we informed them")."""
    spans = []
    for t in doc:
        if t.lemma_.lower() in SPEECH_LEMMAS and t.pos_ in ("VERB", "AUX") and \
                any(c.dep_ == "nsubj" and c.lower_ in ("i", "we") for c in t.children):
            spans.append((t.idx, t.idx + len(t)))
    return spans


class CueMatcher:
    """Matcher and DependencyMatcher patterns over one spaCy ``Language`` (parser and lemmatizer needed)."""

    def __init__(self, nlp: Any):
        from spacy.matcher import DependencyMatcher, Matcher
        self.nlp = nlp
        self.matcher = Matcher(nlp.vocab)
        for label, patterns in _patterns().items():
            self.matcher.add(label, patterns)
        self.dep_matcher = DependencyMatcher(nlp.vocab)
        for label, patterns in _dep_patterns().items():
            self.dep_matcher.add(label, patterns)

    def parse(self, texts: list[str], batch_size: int = 64) -> list[Any]:
        return list(self.nlp.pipe(texts, batch_size=batch_size))

    def cues(self, doc: Any) -> Cues:
        """The cues of one parsed sentence (a spaCy ``Doc``)."""
        from voc.nlp.promises.quantities import extract
        vocab = self.nlp.vocab.strings
        out = Cues()
        flags = out.flags
        for match_id, start, end in self.matcher(doc):
            label = vocab[match_id]
            span = doc[start:end]
            if label == "told" and span[0].lower_ == "you" and span[-1].lower_ in ("say", "said"):
                label = "told"
            flags[label] = 1.0
            out.spans.append((label, span.start_char, span.end_char))
            if label in ("strong", "told", "said_would", "supposed"):
                head = span[0] if span[0].pos_ in ("VERB", "AUX") else span.root
                if head.tag_ in ("VBD", "VBN") or any(t.tag_ in ("VBD", "VBN") for t in span):
                    flags["past_commit"] = 1.0
                elif head.tag_ in ("VBP", "VBZ", "VB"):
                    flags["present_commit"] = 1.0
        for match_id, token_ids in self.dep_matcher(doc):
            label = vocab[match_id]
            flags[label] = 1.0
            tokens = [doc[i] for i in token_ids]
            out.spans.append((label, min(t.idx for t in tokens), max(t.idx + len(t) for t in tokens)))
        text = doc.text
        lemmas_all = [t.lemma_.lower() for t in doc]
        # "not looking promising" is no commitment: the adjective is left out
        flags["promise_word"] = float(any(t.lemma_.lower() in ("promise", "guarantee", "assure", "reassure", "pledge",
                                                               "vow")
                                          and not any(c.dep_ == "neg" for c in t.children)  # "can't guarantee"
                                          and not (t.lower_ == "promising" and (t.tag_ == "JJ" or t.dep_ in
                                                                               ("acomp", "amod", "oprd") or
                                                                               t.head.lemma_ in _LOOK))
                                          for t in doc) or bool(_BROKEN_PROMISE.search(text)))
        flags["advertised"] = float(any(l in ("advertise", "advertisement", "advert", "ad", "ads") for l in lemmas_all)
                                    or bool(_FALSE_AD.search(text)))
        flags["confirmed"] = float(bool(_CONFIRMED.search(text)))

        flags["breach"] = float(bool(_BREACH.search(text) or _HONOURED.search(text)))
        flags["should_have"] = float(bool(re.search(r"\bshould(?:n't| not)? have\b", text, re.I)))
        flags["own_obligation"] = float(bool(re.search(r"\b(i|i'm|i am|we|we're|we are)\s+(?:was |were |am |are |is )?"
                                                       r"supposed to\b", text, re.I))
                                        and not re.search(r"\bsupposed to (?:be|land|arrive|leave|depart|get|fly|board|"
                                                          r"take off|receive|have)\b", text, re.I))
        # the customer's own words ("I told her I would pay") are no commitment of the company
        own_speech = _self_speech_spans(doc)
        if own_speech:
            out.spans[:] = [sp for sp in out.spans if not (sp[0] in ("said_would", "reported_future")
                                                           and any(a <= sp[1] < b for a, b in own_speech))]
            for label in ("said_would", "reported_future"):
                flags[label] = float(any(sp[0] == label for sp in out.spans))
        commit_future = any(not any(a <= m.start() < b for a, b in own_speech) for m in _COMMIT_FUTURE.finditer(text))
        flags["self_speech"] = float(bool(own_speech))
        flags["commit_quantity"] = float(any(not any(a <= m.start() < b for a, b in own_speech)
                                             for m in _SAID_QUANTITY.finditer(text)) and bool(extract(text)))
        flags["commit_future"] = float(commit_future or bool(flags.get("reported_future"))
                                       or bool(flags.get("said_would")))
        flags["commit_could"] = float(bool(_COMMIT_COULD.search(text)))
        flags["told_info"] = float(bool(flags.get("told")) and not flags["commit_future"] and not flags["commit_could"]
                                   and not flags["commit_quantity"])
        flags["not_done"] = float(bool(_NOT_DONE.search(text)))
        flags["time_passed"] = float(bool(_TIME_PASSED.search(text)))
        subjects = {t.lower_ for t in doc if t.dep_ in ("nsubj", "nsubjpass")}
        flags["first_person"] = float(bool(subjects & {"i", "we"}))
        flags["own_promise"] = float(any(t.lemma_.lower() == "promise" and t.tag_ in ("VBP", "VB")
                                         and any(c.dep_ == "nsubj" and c.lower_ in ("i", "we") for c in t.children)
                                         for t in doc))
        flags["hope"] = float(any(l in ("hope", "wish", "fingers") for l in lemmas_all))
        lowers = {t.lower_ for t in doc}
        lemmas = {t.lemma_.lower() for t in doc}
        flags["fail"] = float(len((lowers | lemmas) & set(FAIL_WORDS)) > 0)
        flags["contrast"] = float(len(lowers & set(CONTRAST)) > 0)
        flags["quantity"] = float(bool(extract(doc.text)))
        flags["second_person"] = float(bool(lowers & {"you", "your", "they", "their", "company", "agent",
                                                      "representative", "rep"}))
        flags["question"] = float(doc.text.rstrip().endswith("?"))
        flags["conditional"] = float(bool(lowers & {"if", "unless", "whether"}))
        return out
