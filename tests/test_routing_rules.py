"""Routing rules: managers replace them over the API at the revision read; every new customer message is routed,
tagged and raised by them on the webhook path, counted in the rule's queue, and the second opinion leaves it alone."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import payloads
from support import call, dumps, post_webhook

RECALL = {"name": "Kettle recall", "words": ["recall", "回収"], "queue": "customer_service", "tags": ["Recall"],
          "priority_boost": 20}
BOYCOTT = {"name": "Boycott wave", "words": ["#BoycottAcme"], "queue": "stance", "tags": ["crisis-dec"]}


def save(api, keys, rules, rev=0, who="manager"):
    return call(api, "PUT", "/routing-rules", keys[who], {"rules": rules, "rev": rev})


def comment(api, native, text, **extra):
    response = post_webhook(api, "meta", dumps(payloads.page_comment(native, text, **extra)))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def conversation(api, keys, message_id):
    status, body = call(api, "GET", f"/conversations/{message_id}", keys["manager"])
    assert status == 200, body
    return body


def test_managers_replace_the_rules_at_the_revision_read(api, keys):
    status, empty = call(api, "GET", "/routing-rules", keys["admin"])
    assert status == 200 and empty == {"rules": [], "updated_by": None, "updated_at": None, "rev": 0}
    status, saved = save(api, keys, [RECALL, BOYCOTT])
    assert status == 200, saved
    [recall, boycott] = saved["rules"]
    assert saved["rev"] == 1 and "Max" in saved["updated_by"]
    assert recall["id"] != boycott["id"] and len(recall["id"]) == 16
    assert recall["tags"] == ["recall"] and recall["enabled"] is True  # a tag is kept in its one spelling
    assert boycott["channels"] == [] and boycott["priority_boost"] == 0
    # an editor who read rev 0 is told they changed; a new order keeps each rule's id
    assert save(api, keys, [BOYCOTT])[1]["error"]["code"] == "concurrent_change"
    status, reordered = save(api, keys, [boycott, recall], rev=1)
    assert status == 200 and [r["id"] for r in reordered["rules"]] == [boycott["id"], recall["id"]]
    assert call(api, "GET", "/routing-rules", keys["manager"])[1] == reordered
    # a rule sent twice (copied to start a similar one) keeps its id once, and the copy gets its own
    status, copied = save(api, keys, [boycott, recall, {**recall, "name": "Kettle recall (JA)"}], rev=2)
    assert status == 200 and copied["rules"][1]["id"] == recall["id"] and copied["rules"][2]["id"] != recall["id"]


@pytest.mark.parametrize("rule, words", [
    ({"name": "Everything", "queue": "stance"}, "needs a condition"),
    ({"name": "Idle", "words": ["recall"]}, "does nothing"),
    ({"name": "Blank reply", "words": ["recall"], "reply": " "}, None),
    ({"name": "Bad queue", "words": ["recall"], "queue": "sales"}, None),
    ({"name": "Bad tag", "words": ["recall"], "tags": ["two words"]}, None),
    ({"name": "Boost", "words": ["recall"], "priority_boost": 51}, None),
    ({"name": " ", "words": ["recall"], "tags": ["t"]}, None),
    ({"name": "Blank word", "words": ["\u3000"], "tags": ["t"]}, None),
])
def test_a_rule_that_cannot_work_is_refused_and_nothing_is_saved(api, keys, rule, words):
    status, body = save(api, keys, [rule])
    assert status == 400, body
    if words:
        assert words in body["error"]["message"]
    assert call(api, "GET", "/routing-rules", keys["manager"])[1]["rev"] == 0


def test_agents_may_neither_read_nor_change_them(api, keys):
    assert call(api, "GET", "/routing-rules", keys["agent_cs"])[0] == 403
    assert save(api, keys, [RECALL], who="agent_both")[0] == 403


def test_a_matching_message_is_routed_tagged_and_raised_and_counted_in_the_rules_queue(api, keys, table):
    from chalicelib.store import counters

    # GIVEN the recall rule, and a comment the model would put in community (an event, with a hot word)
    assert save(api, keys, [BOYCOTT, RECALL])[0] == 200
    comment(api, "rr1", "Great festival yesterday!! but is my kettle in the RECALL??")
    message_id = "facebook:rr1"
    detail = conversation(api, keys, message_id)
    # THEN it is in the rule's queue, with the rule named, its tags and the boost in its priority reasons
    assert detail["queue"] == "customer_service"
    rule = detail["triage"]["rule"]
    assert rule["name"] == "Kettle recall" and rule["model_category"] == detail["triage"]["category"]
    assert detail["tags"] == ["recall"]
    assert "rule:Kettle recall" in detail["priority_reasons"]
    assert [h["event"] for h in detail["history"]][:3] == ["received", "classified", "routed_by_rule"]
    # AND its volume is counted in the rule's queue; the model's accuracy under its own verdict
    now = datetime.now(timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0)
    counted = {q: sum(c.get("messages", 0) for _, c in counters.volume_counters(q, hour, now.replace(hour=23)))
               for q in ("customer_service", "stance", "community")}
    assert counted["customer_service"] == 1 and sum(counted.values()) == 1
    # AND the queue's open count is the rule's queue's
    status, queues = call(api, "GET", "/queues", keys["manager"])
    assert {q["queue"]: q["open"] for q in queues["queues"]}["customer_service"] == 1


def test_a_message_no_rule_matches_keeps_the_models_verdict(api, keys):
    assert save(api, keys, [RECALL])[0] == 200
    comment(api, "rr2", "I was charged twice for my order, refund please")
    detail = conversation(api, keys, "facebook:rr2")
    assert detail["triage"].get("rule") is None and detail.get("tags") in (None, [])
    assert not [r for r in detail["priority_reasons"] if r.startswith("rule:")]


def test_a_change_applies_to_the_next_message_and_a_disabled_rule_to_none(api, keys):
    status, saved = save(api, keys, [BOYCOTT])
    comment(api, "rr3", "Time to #boycottacme everyone")
    assert conversation(api, keys, "facebook:rr3")["queue"] == "stance"
    off = {**saved["rules"][0], "enabled": False, "queue": "community"}
    assert save(api, keys, [off], rev=1)[0] == 200
    comment(api, "rr4", "Time to #boycottacme everyone, again")
    assert conversation(api, keys, "facebook:rr4")["triage"].get("rule") is None


def test_the_second_opinion_leaves_a_routed_message_alone(api, keys):
    from chalicelib.domain.routing_rules import Routing
    from chalicelib.store import messages
    from second_opinion.handler import rescore

    assert save(api, keys, [BOYCOTT])[0] == 200
    comment(api, "rr5", "#BoycottAcme my order never arrived and I want a refund")
    before = messages.get_message("facebook:rr5")
    assert before.queue == "stance" and Routing  # routed by the rule, whatever the model said
    assert rescore("facebook:rr5", datetime.now(timezone.utc)).value == "unchanged"
    after = messages.get_message("facebook:rr5")
    assert after.queue == "stance" and after.rev == before.rev and "first_opinion" not in after.triage


def test_an_edit_is_routed_again(api, keys):
    assert save(api, keys, [RECALL])[0] == 200
    comment(api, "rr6", "Lovely picnic at the park today")
    first = conversation(api, keys, "facebook:rr6")
    assert first["triage"].get("rule") is None
    comment(api, "rr6", "Lovely picnic at the park today, but is this kettle part of the recall?", verb="edited")
    edited = conversation(api, keys, "facebook:rr6")
    assert edited["queue"] == "customer_service" and edited["triage"]["rule"]["name"] == "Kettle recall"


def test_the_webhook_path_reads_the_rules_once_per_container_and_period(api, keys, monkeypatch):
    from chalicelib.store import dynamo
    from chalicelib.store import routing_rules as store
    from chalicelib.store import settings

    assert save(api, keys, [RECALL])[0] == 200
    reads: list[str] = []
    dynamo.client().meta.events.register(
        "provide-client-params.dynamodb.GetItem",
        lambda params, **_: reads.append(params["Key"]["sk"]["S"]) if params["Key"]["pk"]["S"] == "SETTINGS" else None)
    # WHEN three messages come within the cache's period THEN the rules are read once
    for n in range(3):
        comment(api, f"rr-cache-{n}", f"question {n} about the recall")
    assert reads == ["ROUTING_RULES"]
    # AND once the period is past, the next message reads them again
    clock = [0.0]
    monkeypatch.setattr(settings.time, "monotonic", lambda: clock[0])
    store.forget()
    comment(api, "rr-cache-3", "one more about the recall")
    clock[0] += store.CACHE_SECONDS + 1
    comment(api, "rr-cache-4", "and another about the recall")
    assert reads == ["ROUTING_RULES"] * 3
    assert conversation(api, keys, "facebook:rr-cache-4")["queue"] == "customer_service"


def test_the_most_rules_at_their_longest_fit_in_their_one_item(api, keys):
    from chalicelib.domain import routing_rules as limits

    # GIVEN 50 rules of 20 words of 50 four-byte characters each, long names, every platform, channel and language
    rules = [{"name": f"{n:02d}" + "𝔯" * (limits.MAX_NAME_CHARS - 2),
              "words": [f"{n:02d}{w:02d}" + "𝔴" * (limits.MAX_WORD_CHARS - 4) for w in range(limits.MAX_WORDS)],
              "platforms": ["facebook", "instagram", "messenger", "whatsapp", "x", "telegram", "generic"],
              "channels": ["comment", "reply", "mention", "direct_message", "post"], "languages": ["en", "ja", "other"],
              "queue": "stance", "tags": [f"tag-{n}-{t}" + "𝔱" * 20 for t in range(limits.MAX_RULE_TAGS)],
              "priority_boost": limits.MAX_BOOST,
              # the longest reply every platform's DM takes with a 50-character name (Instagram: 1,000 bytes)
              "reply": "𝔯" * ((1000 - 50) // 4)} for n in range(limits.MAX_RULES)]
    # WHEN they are saved THEN they are (one item under DynamoDB's 400 KB, as the harness counts it), and read back
    status, saved = save(api, keys, rules)
    assert status == 200, saved
    assert len(call(api, "GET", "/routing-rules", keys["manager"])[1]["rules"]) == limits.MAX_RULES
    # AND a word one character longer is refused before anything is stored
    rules[0]["words"][0] += "x"
    assert save(api, keys, rules, rev=1)[0] == 400


def test_a_message_a_rule_routed_needs_no_review_though_the_model_was_unsure(table):
    from dataclasses import replace

    from chalicelib.domain.routing_rules import RoutingRule, RoutingRules, route
    from chalicelib.store import conversations, counters, messages
    from support import triaged

    # GIVEN a message the model was unsure of, and one the recall rule routes
    rule = RoutingRule(id="a" * 16, name="Kettle recall", words=("recall",), queue="customer_service")
    unsure = triaged("rr-unsure", "community", text="is the kettle in the recall", needs_review=True)
    routed = replace(unsure, routing=route(RoutingRules(rules=(rule,)), unsure.message.text, "facebook", "comment", "en"))
    # WHEN it is stored
    assert conversations.save_inbound(routed, routed.message.received_at).value == "stored"
    # THEN the rule's queue stands without a review, though the model's own doubt is kept in its triage
    stored = messages.get_message("facebook:rr-unsure")
    assert stored.queue == "customer_service" and stored.needs_review is False and stored.triage["needs_review"]
    assert counters.queue_counts("customer_service") == {"open": 1, "claimed": 0, "snoozed": 0, "needs_review": 0}
    # AND a message no rule routed still asks for one
    assert conversations.save_inbound(triaged("rr-unsure-2", "community", needs_review=True),
                                      routed.message.received_at).value == "stored"
    assert counters.queue_counts("community")["needs_review"] == 1


def test_moving_a_routed_message_corrects_the_rule_not_the_models_accuracy(api, keys):
    # GIVEN a comment the model put in community and the recall rule in customer service, and one it put there itself
    assert save(api, keys, [RECALL])[0] == 200
    comment(api, "rr7", "Lovely festival, but is my kettle part of the recall?")
    comment(api, "rr8", "Lovely festival in the park today, see you all next year")
    routed, plain = conversation(api, keys, "facebook:rr7"), conversation(api, keys, "facebook:rr8")
    assert routed["triage"]["rule"] and plain["triage"].get("rule") is None
    # WHEN a manager moves both to stance
    for message_id in ("facebook:rr7", "facebook:rr8"):
        status, _ = call(api, "POST", f"/messages/{message_id}/reroute", keys["manager"],
                         {"queue": "stance", "reason": "about the brand's values"})
        assert status == 200
    # THEN only the model's own verdict counts as re-routed in the live model accuracy
    today = datetime.now(timezone.utc).date()
    _, stats = call(api, "GET", f"/stats?from={today}&granularity=day", keys["manager"])
    rerouted = {(row["queue"], row["rerouted"]) for row in stats["model_accuracy"]["by_version"] if row["rerouted"]}
    assert rerouted == {(plain["triage"]["category"], 1)}
    assert stats["model_accuracy"]["reroutes"] == {plain["triage"]["category"]: {"stance": 1}}
    # AND both corrections are kept for retraining (a person chose each label)
    from chalicelib.store import queue

    assert {c["message_id"] for c in queue.corrections()} >= {"facebook:rr7", "facebook:rr8"}



# a rule's reply: answered at once, through the automatic replies' function ---------------------------------------

@pytest.fixture
def delivery(table):
    """The deployed path for customers' new DMs: the stream -> the publisher -> the bus -> the template's rule and the
    automatic replies' queue -> the function."""
    import os

    from chalicelib.events import publisher
    from event_stream import automatic_replies
    from infra import template as infra
    from local.dynamodb import lean_transactions

    lean_transactions()
    publisher._client.cache_clear()
    deliver, _ = automatic_replies(infra.away_pattern(), "new-dms", os.environ["TABLE_NAME"])
    yield deliver
    publisher._client.cache_clear()


TRACKING = {"name": "Where is my order", "words": ["tracking", "where is my order", "配送状況"],
            "reply": "Hi {{customer_name}}, track any order at https://shop.example/track: it updates every hour."}


def dm(api, mid, text, sender=payloads.MESSENGER_CUSTOMER):
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm(mid, text, sender=sender)))
    assert response.status_code == 200, response.body
    return f"messenger:{mid}"


def test_a_rule_answers_a_direct_message_at_once_and_once_per_conversation(api, keys, delivery, fake_platforms):
    # GIVEN a rule that answers order-tracking questions
    status, saved = save(api, keys, [TRACKING])
    assert status == 200 and saved["rules"][0]["reply"] == TRACKING["reply"]
    # WHEN a customer asks in a DM, and asks again in the same conversation
    conversation_id = dm(api, "m.track1", "hi, where is my order? no tracking email yet")
    delivery()
    dm(api, "m.track2", "tracking still empty...")
    delivery()
    # THEN the rule's reply went once, the token without a name going cleanly
    [sent] = fake_platforms.sent("messenger")
    assert sent.body["message"]["text"] == "Hi, track any order at https://shop.example/track: it updates every hour."
    # AND it is an automatic reply: the conversation still waits for a person's answer
    detail = conversation(api, keys, conversation_id)
    [reply] = detail["replies"]
    assert reply["automatic"] is True and reply["by"] == "system:rule" and reply["status"] == "sent"
    assert not detail.get("first_reply_at") and detail["status"] == "open"
    # AND the stats count it apart, in the conversation's queue
    today = datetime.now(timezone.utc).date()
    _, stats = call(api, "GET", f"/stats?from={today}&granularity=day&tz=UTC", keys["manager"])
    row = {r["queue"]: r for r in stats["sla"]}[detail["queue"]]
    assert (row["rule_replies_sent"], row["away_sent"], row["first_replied"]) == (1, 0, 0)


def test_a_rule_never_answers_in_public_nor_a_conversation_someone_holds(api, keys, delivery, fake_platforms):
    save(api, keys, [TRACKING])
    # a public comment with the words: never answered automatically (the rule's pattern does not even deliver it)
    comment(api, "104857600000001_900001_66001", "where is my order??")
    # a DM whose conversation an agent is on
    conversation_id = dm(api, "m.track3", "need help", sender="6100000000071")
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["manager"], {})[0] == 200
    dm(api, "m.track4", "where is my order", sender="6100000000071")
    delivery()
    assert fake_platforms.sent() == []


def test_a_reply_too_long_for_some_platform_is_refused(api, keys):
    status, body = save(api, keys, [{**TRACKING, "reply": "配" * 400}])  # 1,200 bytes: over Instagram's 1,000
    assert status == 422 and body["error"]["code"] == "rule_reply_too_long" and "instagram" in body["error"]["message"]
    assert call(api, "GET", "/routing-rules", keys["manager"])[1]["rev"] == 0
    # a rule whose only action is its reply is a rule
    assert save(api, keys, [TRACKING])[0] == 200
