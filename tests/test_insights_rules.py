"""Explicit routing rules: validation, matching, priorities."""

from __future__ import annotations

import pytest

from voc.config import FieldProblem
from voc.insights.rules import RouteRule, RoutingItem, check_rules, first_match, stem
from voc.errors import ConfigError


def test_insights_rules_rejects_a_rule_without_condition():
    with pytest.raises(FieldProblem, match="no condition"):
        RouteRule(department="billing")


@pytest.mark.parametrize("kwargs, field", [
    ({"department": "Billing Team", "keywords": ["x"]}, "department"),
    ({"department": "billing", "sentiment": "angry"}, "sentiment"),
    ({"department": "billing", "kind": "tweet"}, "kind"),
    ({"department": "billing", "finding": "spike"}, "finding"),
    ({"department": "billing", "keywords": [""]}, "keywords"),
    ({"department": "billing", "keywords": ["x"], "priority": "high"}, "priority"),
    ({"department": "billing", "metadata": "store"}, "metadata"),
])
def test_insights_rules_validation_names_the_field(kwargs, field):
    with pytest.raises(FieldProblem) as info:
        RouteRule(**kwargs)
    assert info.value.field_name == field
    assert info.value.fix


@pytest.mark.parametrize("word, root", [("refunds", "refund"), ("refunded", "refund"), ("refunding", "refund"),
                                        ("charges", "charg"), ("stopped", "stop")])
def test_insights_rules_stem(word, root):
    assert stem(word) == root


def test_insights_rules_keywords_match_word_forms_and_phrases():
    rule = RouteRule(department="billing", keywords=["refund", "charged twice"])
    assert rule.matches(RoutingItem("Still waiting for my REFUNDS!"))
    assert rule.matches(RoutingItem("they charged me twice... no, I was charged twice"))
    assert not rule.matches(RoutingItem("the refundable fare was fine"))  # 'refundable' is another word
    assert not rule.matches(RoutingItem("twice charged"))


def test_insights_rules_every_condition_must_hold():
    rule = RouteRule(department="billing", keywords=["refund"], sentiment="negative", kind=["complaint", "email"],
                     metadata={"channel": ["store", "phone"]})
    good = RoutingItem("no refund yet", sentiment="negative", document_kind="email", metadata={"channel": "Phone"})
    assert rule.matches(good)
    assert not rule.matches(RoutingItem("no refund yet", sentiment="neutral", document_kind="email",
                                        metadata={"channel": "phone"}))
    assert not rule.matches(RoutingItem("no refund yet", sentiment="negative", document_kind="survey",
                                        metadata={"channel": "phone"}))
    assert not rule.matches(RoutingItem("no refund yet", sentiment="negative", document_kind="email"))


def test_insights_rules_theme_by_id_or_label_and_promise():
    by_theme = RouteRule(department="logistics", theme=["T3", "Delivery Delays"])
    assert by_theme.matches(RoutingItem("x", theme_id="T3"))
    assert by_theme.matches(RoutingItem("x", theme_id="T9", theme_label="delivery delays"))
    assert not by_theme.matches(RoutingItem("x", theme_id="T9", theme_label="billing"))
    by_promise = RouteRule(department="billing", promise="refund-5-days", finding="broken_promise")
    assert by_promise.matches(RoutingItem("x", finding_kind="broken_promise", promise_id="refund-5-days"))
    assert not by_promise.matches(RoutingItem("x", finding_kind="complaint", promise_id="refund-5-days"))


def test_insights_rules_highest_priority_wins_then_file_order():
    rules = [RouteRule(department="a", keywords=["late"]),
             RouteRule(department="b", keywords=["late"], priority=5),
             RouteRule(department="c", keywords=["late"], priority=5)]
    assert first_match(rules, RoutingItem("parcel is late")).department == "b"
    assert first_match(rules, RoutingItem("all good")) is None


def test_insights_rules_unknown_department_is_a_config_error():
    with pytest.raises(ConfigError, match="not configured"):
        check_rules([RouteRule(department="legal", keywords=["lawyer"])], ["billing", "logistics"])
