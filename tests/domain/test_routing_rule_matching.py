"""domain.routing_rules: which messages a rule matches, which rule decides, and what a manager may save."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.routing_rules import RoutingRule, RoutingRules, check, route

RECALL = RoutingRule(id="a" * 16, name="Recall", words=("recall", "回収", "#SafetyFirst"), queue="customer_service",
                     tags=("recall",), priority_boost=20)
BOYCOTT = RoutingRule(id="b" * 16, name="Boycott", words=("boycott", "不買"), queue="stance", tags=("crisis-dec",))
VIP = RoutingRule(id="c" * 16, name="VIP on X", platforms=("x",), channels=("direct_message",), tags=("vip",),
                  priority_boost=10)


def decide(text, rules=(RECALL, BOYCOTT, VIP), platform="facebook", channel="comment", language="en"):
    return route(RoutingRules(rules=tuple(rules), rev=1), text, platform, channel, language)


@pytest.mark.parametrize("text", ["Is my kettle part of the RECALL?", "ｒｅｃａｌｌ notice?", "recall.",
                                  "この製品は回収対象ですか", "#safetyfirst please answer"])
def test_a_word_matches_whatever_its_case_width_or_script(text):
    decision = decide(text)
    assert decision.queue == "customer_service" and decision.rule is RECALL and decision.matched == ["Recall"]


@pytest.mark.parametrize("text", ["recalled", "a product recaller", "prerecall"])
def test_a_latin_word_matches_only_as_a_whole_word(text):
    assert decide(text) is None


def test_the_first_rule_with_a_queue_decides_and_every_match_adds_tags_and_the_largest_boost():
    decision = decide("I'll boycott you unless the recall covers mine", platform="x", channel="direct_message")
    assert decision.queue == "customer_service" and decision.rule is RECALL  # first in the list
    assert decision.tags == ["recall", "crisis-dec", "vip"] and decision.boost == 20
    assert decision.reasons == ["rule:Recall", "rule:Boycott", "rule:VIP on X"]
    # a rule with no queue tags and boosts, and the model's verdict stands
    tagged = decide("hi there", platform="x", channel="direct_message")
    assert tagged.queue is None and tagged.rule is None and tagged.tags == ["vip"] and tagged.boost == 10


def test_conditions_all_hold_and_a_disabled_rule_never_matches():
    assert decide("hi there", platform="x", channel="comment") is None  # not a DM
    assert decide("hi there", platform="facebook", channel="direct_message") is None
    only_ja = RoutingRule(id="d" * 16, name="JA", languages=("ja",), queue="community")
    assert decide("こんにちは", rules=[only_ja], language="ja").queue == "community"
    assert decide("hello", rules=[only_ja], language="en") is None
    other = RoutingRule(id="e" * 16, name="Other", languages=("other",), tags=("es",))
    assert decide("hola", rules=[other], language="es").tags == ["es"]
    off = RoutingRule(id="f" * 16, name="Off", enabled=False, words=("recall",), queue="stance")
    assert decide("recall", rules=[off]) is None


def test_what_a_manager_may_save():
    check([RECALL, BOYCOTT, VIP])
    with pytest.raises(InvalidRequest, match="needs a condition"):
        check([RoutingRule(id="1" * 16, name="All", queue="stance")])
    with pytest.raises(InvalidRequest, match="does nothing"):
        check([RoutingRule(id="1" * 16, name="Idle", words=("x",))])
    check([RECALL, RoutingRule(id="2" * 16, name="Kettle recall", words=("y",), tags=("t",))])  # a name is a label
    with pytest.raises(InvalidRequest, match="same id"):
        check([RECALL, RoutingRule(id=RECALL.id, name="Copy", words=("y",), tags=("t",))])
    with pytest.raises(InvalidRequest, match="at most 50"):
        check([RoutingRule(id=f"{n:016x}", name=f"r{n}", words=("w",), tags=("t",)) for n in range(51)])



NOW = datetime(2026, 12, 6, 1, 0, tzinfo=timezone.utc)


def test_the_first_matching_rule_with_a_reply_answers():
    quiet = RoutingRule(id="a" * 16, name="Tag", words=("order",), tags=("orders",))
    first = RoutingRule(id="b" * 16, name="Track", words=("order",), reply="Track it here")
    second = RoutingRule(id="c" * 16, name="Other", words=("order",), reply="Something else")
    routing = route(RoutingRules(rules=(quiet, first, second)), "my order?", "messenger", "direct_message", "en")
    assert routing.replying == first and routing.queue is None


@pytest.mark.parametrize("changes, reason", [
    ({}, "due"),
    ({"rule": None}, "no_rule"),
    ({"channel": "comment", "platform": "facebook"}, "not_a_direct_message"),
    ({"direction": "outbound"}, "not_a_direct_message"),
    ({"message_status": "removed"}, "removed"),
    ({"erased": True}, "removed"),
    ({"received_at": NOW - timedelta(minutes=31)}, "stale"),
    ({"head_status": "claimed", "lease_expiry": NOW + timedelta(minutes=5)}, "claimed"),
])
def test_who_a_rules_reply_goes_to(changes, reason):
    from chalicelib.domain.routing_rules import RoutingRule, decide_reply

    facts = dict(rule=RoutingRule(id="b" * 16, name="Track", words=("order",), reply="Track it here"),
                 platform="messenger", channel="direct_message", direction="inbound", message_status="open",
                 received_at=NOW, erased=False, head_status="open", lease_expiry=None, now=NOW)
    facts.update(changes)
    assert decide_reply(facts.pop("rule"), **facts).reason == reason
