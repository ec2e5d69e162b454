"""Tags over the API: anyone who may read a conversation tags it, in any state, without a claim; a queue is
filtered by a tag; tagging many at once; a change that meets another is worked out on the head as it now is."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from support import call, seed_message, snapshot


def retag(api, who, conversation: str, add=(), remove=()):
    return call(api, "POST", f"/conversations/{conversation}/tags", who, {"add": list(add), "remove": list(remove)})


def history_events(api, who, conversation: str) -> list[dict]:
    _, detail = call(api, "GET", f"/conversations/{conversation}", who)
    return [h for h in detail["history"] if h["event"] == "tagged"]


def test_an_agent_of_the_queue_tags_an_open_conversation_without_claiming_it(api, keys):
    # GIVEN an open conversation nobody holds
    conversation = seed_message("t1", "customer_service", text="Where is my refund for order 5521?")
    # WHEN an agent of its queue tags it, in any case and width
    status, body = retag(api, keys["agent_cs"], conversation, add=["Refund", "ＶＩＰ"])
    # THEN it has the tags, in one spelling, in the order given; it is still open and nobody holds it
    assert status == 200, body
    assert body == {"conversation": conversation, "tags": ["refund", "vip"]}
    _, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert detail["tags"] == ["refund", "vip"] and detail["status"] == "open" and "claimed_by" not in detail
    # AND its history says who tagged it with what
    [entry] = history_events(api, keys["manager"], conversation)
    assert entry["actor"].startswith("agent:Cy") and entry["details"] == {"added": ["refund", "vip"], "removed": []}


def test_the_same_change_again_writes_nothing(api, keys, table):
    conversation = seed_message("t2", "customer_service")
    assert retag(api, keys["agent_cs"], conversation, add=["refund"])[0] == 200
    before = snapshot(table)
    # WHEN the request comes again (a double click, a retry) or removes a tag it does not have
    assert retag(api, keys["agent_cs"], conversation, add=["REFUND"]) == (200, {"conversation": conversation,
                                                                               "tags": ["refund"]})
    assert retag(api, keys["agent_cs"], conversation, remove=["vip"])[1]["tags"] == ["refund"]
    # THEN nothing is written (no new revision, no history entry, so no event)
    assert snapshot(table) == before


def test_tags_come_off_and_a_resolved_conversation_can_still_be_tagged(api, keys):
    conversation = seed_message("t3", "customer_service")
    assert retag(api, keys["agent_cs"], conversation, add=["refund", "late"])[0] == 200
    assert call(api, "POST", f"/conversations/{conversation}/resolve", keys["manager"], {})[0] == 200
    # WHEN a manager tags it after it was resolved (a post-mortem) and takes one tag off
    status, body = retag(api, keys["manager"], conversation, add=["courier-damage"], remove=["late"])
    # THEN the tags change and the conversation stays resolved
    assert status == 200 and body["tags"] == ["refund", "courier-damage"]
    _, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert detail["status"] == "resolved" and detail["tags"] == ["refund", "courier-damage"]


def test_an_agent_outside_the_queue_cannot_tag_and_learns_nothing(api, keys, table):
    conversation = seed_message("t4", "customer_service")
    before = snapshot(table)
    status, body = retag(api, keys["agent_stance"], conversation, add=["mine"])
    assert status == 404 and body["error"]["code"] == "unknown_conversation", body
    assert snapshot(table) == before


def test_a_conversation_keeps_at_most_max_tags(api, keys, table):
    from chalicelib.domain.tags import MAX_TAGS

    conversation = seed_message("t5", "customer_service")
    assert retag(api, keys["manager"], conversation, add=[f"t{i}" for i in range(MAX_TAGS)])[0] == 200
    before = snapshot(table)
    status, body = retag(api, keys["manager"], conversation, add=["one-more"])
    assert status == 409 and body["error"]["code"] == "too_many_tags", body
    assert snapshot(table) == before


@pytest.mark.parametrize("body", [
    {"add": ["has space"]}, {"add": [""]}, {"add": ["x" * 33]}, {"add": ["zero\u200bwidth"]}, {"add": ["tab\tsep"]}, {"add": ["vip\n"]}, {"add": ["a,b"]},
    {"add": "refund"}, {"add": [f"t{i}" for i in range(11)]}, {"add": ["ok"], "colour": "red"}, {"add": [7]},
])
def test_an_invalid_tag_change_is_a_400_and_stores_nothing(api, keys, table, body):
    conversation = seed_message("t6", "customer_service")
    before = snapshot(table)
    status, answer = call(api, "POST", f"/conversations/{conversation}/tags", keys["manager"], body)
    assert status == 400, answer
    assert snapshot(table) == before


def test_a_refused_tag_is_explained_in_words_not_as_a_regular_expression(api, keys):
    conversation = seed_message("t8", "customer_service")
    status, answer = retag(api, keys["manager"], conversation, add=["a b"])
    assert status == 400 and answer["error"]["message"].endswith(
        "add.0: a tag may not hold a space, an invisible or control character, or a comma"), answer
    status, answer = call(api, "GET", "/queues/customer_service/conversations?tag=a,b", keys["manager"])
    assert status == 400 and "may not hold" in answer["error"]["message"], answer


def test_a_change_read_before_another_one_keeps_both(api, keys):
    from chalicelib.domain.errors import ConcurrentChange
    from chalicelib.store import messages, tags

    # GIVEN two agents who opened the same conversation
    conversation = seed_message("t7", "customer_service")
    seen_by_first = messages.get_message(conversation)
    # WHEN the second one tags it "vip" and then the first, from what she read before, tags it "refund"
    tags.retag(messages.get_message(conversation), "key:second", ["vip"], [], datetime.now(timezone.utc))
    with pytest.raises(ConcurrentChange):  # one guarded write on what she read cannot go through...
        tags.retag(seen_by_first, "key:first", ["refund"], [], datetime.now(timezone.utc))
    after = messages.on_conversation(  # ...so the route works it out again on the conversation as it now is
        conversation, lambda queue_name: True,
        lambda head: tags.retag(head, "key:first", ["refund"], [], datetime.now(timezone.utc)), read=seen_by_first)
    # THEN neither change is lost, and her request was not refused as a conflict
    assert after.tags == ["vip", "refund"]
    assert messages.get_message(conversation).tags == ["vip", "refund"]


def test_a_queue_is_filtered_by_a_tag_in_any_spelling(api, keys):
    tagged = [seed_message(f"f{i}", "community", text=f"Giveaway scam number {i}") for i in range(3)]
    seed_message("plain", "community", text="Who else is going to the meetup?")
    for conversation in tagged[:2]:
        assert retag(api, keys["manager"], conversation, add=["scam"])[0] == 200
    assert retag(api, keys["manager"], tagged[2], add=["scammy"])[0] == 200  # a tag that contains another
    status, page = call(api, "GET", "/queues/community/conversations?tag=SCAM", keys["manager"])
    assert status == 200, page
    assert sorted(c["id"] for c in page["conversations"]) == sorted(tagged[:2])
    assert all(c["tags"] == ["scam"] for c in page["conversations"])
    # AND a tag the contract cannot hold is a 400, not an empty page
    assert call(api, "GET", "/queues/community/conversations?tag=a%20b", keys["manager"])[0] == 400


def test_the_callers_own_list_is_filtered_by_a_tag(api, keys):
    first, second = seed_message("m1", "customer_service"), seed_message("m2", "customer_service")
    for conversation in (first, second):
        assert call(api, "POST", f"/conversations/{conversation}/claim", keys["agent_cs"], {})[0] == 200
    assert retag(api, keys["agent_cs"], second, add=["vip"])[0] == 200
    status, page = call(api, "GET", "/me/conversations?tag=vip", keys["agent_cs"])
    assert status == 200 and [c["id"] for c in page["conversations"]] == [second], page
