"""Text cleaning for theme discovery: what a theme is about, without the noise around it.

Customer text carries much that says nothing about the topic: @handles and URLs in social posts,
redaction placeholders (``[EMAIL]``), the CFPB's ``XXXX`` masks, the company's own name in every
complaint. Left in, they pull sentences together by who they were addressed to rather than what
they are about, and they leak into labels. :func:`clean_for_themes` removes them before a sentence
is embedded for clustering; :func:`company_terms` finds the company names to remove (the configured
ones plus the handles customers address most); :func:`is_label_term` keeps noise out of labels.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]{1,20}\]|\{\$[\d,.]+\}|\bX{2}/X{2}/(?:\d{2,4}|X{2,4})\b|\bX{2,}\b")
HASHTAG = re.compile(r"#(\w+)")
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
SPACES = re.compile(r"\s+")
#: HTML entities left in scraped text, and marks that only fill space
ENTITIES = re.compile(r"&(?:amp|lt|gt|quot|#\d+);")
REPEATS = re.compile(r"([!?.])\1+")
NON_WORD = re.compile(r"[^\w\s'!?.,:;&$%/-]")

#: words that never make a theme label on their own (English stop words plus feedback filler)
FILLER = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each else ever few for from further get got
gotten had has have having he her here hers herself him himself his how i if in into is it its itself just
let like me more most my myself no nor not now of off on once only or other our ours ourselves out over own
please same she should so some such than thank thanks that the their theirs them themselves then there these
they this those through to too under until up us very was we were what when where which while who whom why
will with would you your yours yourself yourselves yes yet im ive dont didnt doesnt cant wont isnt wasnt
arent youre theyre thats whats hi hello hey dear ok okay lol omg pls plz really still even much many one
two going go know want need make made say said tell told ask asked way thing things time day today yesterday
tomorrow week guys guy someone anyone anything something nothing everything every another back well good
great bad worst best better new lot via amp
""".split())
#: how customers feel, not what about: kept out of labels and keywords (sentiment has its own stage)
FEELING = frozenset("""
terrible horrible awful worst poor ridiculous disappointed disappointing unacceptable sucks suck fail failed
fails ugh wtf seriously pathetic annoying annoyed frustrated frustrating angry upset hate hates love loved
sad shame joke amazing awesome nice happy glad sorry unhappy furious disgusted disgusting absolutely totally
literally ever never again
""".split())
#: conversation and note-taking words that name no topic: kept out of labels and keywords only (the
#: clustering features are unchanged)
SMALL_TALK = frozenset("""
morning afternoon evening night ill ll ve re yeah yep yup nope um uh hmm mm sure right alright bye goodbye sir
madam maam mr mrs ms miss cust says stated states advised mentioned explained three four five six seven
eight nine ten twenty nobody somebody everyone everybody actually basically maybe probably bit kind sort
writing write wrote written custs wants wanted apparently mostly understand understood different people
regards sincerely kindly attached hereby
""".split())
LABEL_JUNK = re.compile(r"^(?:x+|\d+|[\W_]+|email|phone|card|iban|ssn|national_id|url|http\w*|www\w*|rt)$")


def split_name(name: str) -> list[str]:
    """``SouthwestAir`` -> ``["southwest", "air"]``; ``united`` -> ``["united"]``."""
    return [w.lower() for w in CAMEL.sub(" ", name.replace("_", " ")).split() if w]


def company_terms(texts: Iterable[str], configured: Iterable[str] = (), *, min_share: float = 0.01,
                  top: int = 20, total: int | None = None) -> frozenset[str]:
    """Lower-cased words that name the company (or companies) customers address.

    The configured ``company_names`` plus, from the data, the @handles that at least ``min_share``
    of the texts mention (at most ``top`` of them): each handle as written and split at its
    capitals (``@SouthwestAir`` -> ``southwestair``, ``southwest``). Generic parts (``air``,
    ``airlines``, ``bank``, ``help``...) stay: they carry meaning on their own. ``total``: how many
    texts there are in all, when ``texts`` are only those that contain an ``@``.
    """
    counts: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    n = 0
    for text in texts:
        n += 1
        handles = {h[1:].lower(): h[1:] for h in HANDLE.findall(text)}
        counts.update(handles.keys())
        for low, written in handles.items():
            spelled.setdefault(low, written)
    terms: set[str] = set()
    for name in configured:
        terms.add(name.lower())
        terms.update(w for w in re.findall(r"[a-z0-9]+", name.lower()) if len(w) > 2 and w not in _GENERIC)
    threshold = max(2, min_share * (n if total is None else total))
    for handle, count in counts.most_common(top):
        if count < threshold:
            break
        terms.add(handle)
        for part in split_name(spelled.get(handle, handle)):
            if len(part) > 2 and part not in _GENERIC:
                terms.add(part)
    return frozenset(terms)


_GENERIC = frozenset("air airline airlines airways air bank banking card cards inc co corp company group help "
                     "support service services care team official the us usa america american".split())


def clean_for_themes(text: str, company: frozenset[str] = frozenset()) -> str:
    """``text`` without handles, URLs, placeholders, company names and decoration; may return ''.

    Hashtags keep their words (``#lostluggage`` -> ``lostluggage``, ``#NeverAgain`` -> ``Never Again``).
    """
    text = ENTITIES.sub(" ", text)
    text = URL.sub(" ", text)
    text = HANDLE.sub(" ", text)
    text = PLACEHOLDER.sub(" ", text)
    text = HASHTAG.sub(lambda m: " " + CAMEL.sub(" ", m.group(1)) + " ", text)
    if company:
        text = re.sub(r"\b(?:%s)\b" % "|".join(sorted(map(re.escape, company), key=len, reverse=True)),
                      " ", text, flags=re.IGNORECASE)
    text = NON_WORD.sub(" ", text)
    text = REPEATS.sub(r"\1", text)
    text = SPACES.sub(" ", text).strip(" .,;:-/&")
    return text if re.search(r"[A-Za-z]{2}", text) else ""


def is_label_term(term: str, company: frozenset[str] = frozenset()) -> bool:
    """True when ``term`` (a word or phrase) may appear in a theme label or keyword list."""
    words = term.lower().split()
    if not words or any(LABEL_JUNK.match(w) for w in words) or any(w in company for w in words):
        return False
    if words[0] in FILLER or words[-1] in FILLER or any(w in FEELING for w in words):
        return False
    if words[0] in SMALL_TALK or words[-1] in SMALL_TALK:
        return False
    if len(words) > 1 and len(set(words)) < len(words):  # "account account", "oh oh"
        return False
    return len(term) > 2


def content_words(text: str) -> list[str]:
    """Lower-cased words of ``text`` that are not filler (for keyword overlap)."""
    return [w for w in re.findall(r"[a-z][a-z']+", text.lower()) if w not in FILLER and len(w) > 2]
