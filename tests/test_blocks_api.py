"""/blocks: a manager blocks a harasser or a spam account; their new messages are stored held back (in Removed, in
no queue, counted in the volumes), until the block is lifted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

import payloads
from support import call, counted_from_messages, dumps, message_items, post_webhook, snapshot

SPAMMER = "5550009"
FAN = "5550001"


def comment(api, comment_id: str, text: str, *, author: str = SPAMMER, parent: str | None = None) -> dict:
    response = post_webhook(api, "meta", dumps(payloads.page_comment(comment_id, text, author_id=author,
                                                                     parent_id=parent)))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def block(api, keys, who: str = "manager", author: str = SPAMMER, platform: str = "facebook", **extra):
    return call(api, "POST", "/blocks", keys[who], {"platform": platform, "author_id": author, **extra})


def unblock(api, keys, who: str = "manager", author: str = SPAMMER):
    query = urlencode({"platform": "facebook", "author_id": author})
    return call(api, "DELETE", f"/blocks?{query}", keys[who])


def message(api, keys, message_id: str) -> dict:
    status, body = call(api, "GET", f"/messages/{message_id}", keys["admin"])
    assert status == 200, body
    return body


def queue_counts(api, keys) -> dict[str, dict[str, int]]:
    status, body = call(api, "GET", "/queues", keys["admin"])
    assert status == 200, body
    return {q["queue"]: {k: q[k] for k in ("open", "claimed", "snoozed", "needs_review")} for q in body["queues"]}


def test_a_blocked_authors_new_comment_is_stored_held_back_in_removed_and_in_no_queue(api, keys, table):
    # GIVEN a spam account that has commented once, and a manager who blocks it, saying why
    comment(api, "s1", "Earn $500 a day from home, DM me now!!!")
    status, made = block(api, keys, reason="crypto spam ring")
    assert status == 201, made
    assert made["platform"] == "facebook" and made["author_id"] == SPAMMER and made["reason"] == "crypto spam ring"
    assert "Max" in made["blocked_by"] and made["name"] == "Dana Reyes" and made.get("expires_at") is None

    # WHEN it comments again
    answer = comment(api, "s2", "Earn $500 a day from home, DM me now!!!")

    # THEN the comment is stored once, held back: removed, with a moderation record naming the block
    assert answer["stored"] == 1
    held = message(api, keys, "facebook:s2")
    assert held["status"] == "removed"
    assert held["moderation"]["state"] == "blocked" and "Max" in held["moderation"]["by"]
    assert held["moderation"]["reason"] == "crypto spam ring"
    assert held["history"][-1]["event"] == "blocked"
    # AND it is in no queue's open list, but in its queue's Removed listing
    queue = held["queue"]
    status, page = call(api, "GET", f"/queues/{queue}/conversations?status=open", keys["admin"])
    assert "facebook:s2" not in [c["id"] for c in page["conversations"]]
    status, page = call(api, "GET", f"/queues/{queue}/conversations?status=removed", keys["admin"])
    assert [c["id"] for c in page["conversations"]] == ["facebook:s2"]
    # AND the queue counts count only what is in the queues (the first comment), as the messages say
    assert queue_counts(api, keys) == counted_from_messages(table)
    assert sum(q["open"] for q in queue_counts(api, keys).values()) == 1
    # AND the volumes still count it: it came in
    status, stats = call(api, "GET", "/stats?granularity=day", keys["admin"])
    assert status == 200, stats
    assert sum(b["total"] for b in stats["buckets"]) == 2


def test_a_redelivered_held_back_message_changes_nothing(api, keys, table):
    # GIVEN a blocked author's comment, held back
    block(api, keys)
    body = dumps(payloads.page_comment("s1", "follow my page for free followers", author_id=SPAMMER))
    assert json.loads(post_webhook(api, "meta", body).body)["stored"] == 1
    before = snapshot(table)

    # WHEN the platform delivers it again
    answer = json.loads(post_webhook(api, "meta", body).body)

    # THEN it is a duplicate and not one item changed
    assert answer["duplicate"] == 1 and answer["stored"] == 0
    assert snapshot(table) == before


def test_a_blocked_customer_neither_joins_nor_reopens_a_conversation(api, keys, table):
    # GIVEN a customer's DM thread the team resolved a minute ago (their next DM would reopen it)
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm("m1", "where is my order #4411?")))
    assert response.status_code == 200
    conversation = message_items(table)[0]["id"]
    assert call(api, "POST", f"/conversations/{conversation}/resolve", keys["manager"], {"note": "done"})[0] == 200
    first = message_items(table)[0]
    assert block(api, keys, author=first["author"]["id"], platform=first["platform"], reason="threats")[0] == 201

    # WHEN they write again in that thread
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm("m2", "you will regret this")))
    assert response.status_code == 200

    # THEN the resolved conversation stays resolved, with its one message
    head = message(api, keys, conversation)
    assert head["status"] == "resolved" and head.get("message_count", 1) == 1
    # AND the new DM is its own item, held back, outside the conversation
    held = message(api, keys, "messenger:m2")
    assert held["status"] == "removed" and held["moderation"]["state"] == "blocked"
    assert held.get("conversation") in (None, "messenger:m2")
    assert queue_counts(api, keys) == counted_from_messages(table)


def test_blocking_twice_answers_the_block_that_holds_and_lifting_it_lets_the_next_message_in(api, keys, table):
    # GIVEN a block
    status, first = block(api, keys, reason="first")
    assert status == 201

    # WHEN another manager blocks the same author again
    status, again = block(api, keys, who="admin", reason="second")

    # THEN the block that holds is answered, unchanged
    assert status == 201 and again == first
    status, listed = call(api, "GET", "/blocks", keys["manager"])
    assert status == 200 and listed == {"blocks": [first], "next_cursor": None}

    # WHEN it is lifted
    status, lifted = unblock(api, keys, who="admin")

    # THEN the answer says who lifted it, the list is empty, and the next comment is triaged into a queue
    assert status == 200, lifted
    assert lifted["unblocked"]["reason"] == "first" and "Ada" in lifted["unblocked"]["unblocked_by"]
    assert call(api, "GET", "/blocks", keys["manager"])[1]["blocks"] == []
    comment(api, "s3", "where do I find my invoice?")
    assert message(api, keys, "facebook:s3")["status"] == "open"
    # AND lifting it again is a 404 that names why
    status, body = unblock(api, keys)
    assert status == 404 and body["error"]["code"] == "unknown_block"
    # AND a new block after the lift holds again
    assert block(api, keys, reason="back at it")[0] == 201
    comment(api, "s4", "Earn $500 a day")
    assert message(api, keys, "facebook:s4")["moderation"]["reason"] == "back at it"


@pytest.mark.parametrize("who", ["agent_cs", "agent_both"])
def test_agents_may_neither_block_nor_list_nor_lift(api, keys, table, who):
    assert block(api, keys, who=who)[0] == 403
    assert call(api, "GET", "/blocks", keys[who])[0] == 403
    block(api, keys)
    assert unblock(api, keys, who=who)[0] == 403
    assert call(api, "GET", "/blocks", keys["manager"])[1]["blocks"][0]["author_id"] == SPAMMER


@pytest.mark.parametrize("body, code", [
    ({"platform": "facebook", "author_id": "unknown"}, "author_not_blockable"),
    ({"platform": "facebook", "author_id": ""}, "invalid_payload"),
    ({"platform": "Face Book", "author_id": "1"}, "invalid_payload"),
    ({"platform": "facebook", "author_id": "1", "expires_in_days": 0}, "invalid_payload"),
    ({"platform": "facebook", "author_id": "1", "expires_in_days": 3651}, "invalid_payload"),
    ({"platform": "facebook", "author_id": "1", "reason": "x" * 501}, "invalid_payload"),
    ({"platform": "facebook", "author_id": "é" * 300}, "invalid_payload"),  # 600 bytes: no stored id is that long
])
def test_a_block_nobody_can_be_is_a_400_and_stores_nothing(api, keys, table, body, code):
    before = snapshot(table)
    status, answer = call(api, "POST", "/blocks", keys["manager"], body)
    assert status == 400 and answer["error"]["code"] == code, answer
    assert snapshot(table) == before


def test_a_block_for_some_days_says_until_when_and_ends_by_itself(api, keys, table):
    from chalicelib.store import blocks

    # GIVEN a block for 7 days
    status, made = block(api, keys, expires_in_days=7)
    assert status == 201
    blocked_at = datetime.fromisoformat(made["blocked_at"])
    assert datetime.fromisoformat(made["expires_at"]) - blocked_at == timedelta(days=7)

    # THEN it holds a day later, and not once the 7 days are past: the webhook path reads no block then
    assert blocks.author_state("facebook", SPAMMER, blocked_at + timedelta(days=1)).block is not None
    later = blocked_at + timedelta(days=7, seconds=1)
    assert blocks.author_state("facebook", SPAMMER, later).block is None
    assert blocks.listed(None, later)[0] == []
    # AND TTL deletes its item a day after it ends
    item = next(i for i in table.scan(TableName=table_name())["Items"] if i["sk"]["S"] == "~BLOCK")
    assert int(item["expires_at"]["N"]) == int((later - timedelta(seconds=1) + timedelta(days=1)).timestamp())


def test_the_customer_panel_tells_everyone_who_reads_the_conversation_that_its_author_is_blocked(api, keys, table):
    # GIVEN the customer's comment in customer service, and then a block
    comment(api, "c1", "My order #5512 never arrived and nobody answers", author=FAN)
    conversation = message_items(table)[0]
    assert conversation["queue"] == "customer_service"
    block(api, keys, author=FAN, reason="abusive to agents")

    # WHEN an agent of that queue opens the customer panel
    status, body = call(api, "GET", f"/conversations/{conversation['id']}/customer", keys["agent_cs"])

    # THEN it says who blocked them and why
    assert status == 200, body
    assert body["blocked"]["reason"] == "abusive to agents" and "Max" in body["blocked"]["blocked_by"]
    # AND once lifted, it says nothing
    unblock(api, keys, author=FAN)
    assert call(api, "GET", f"/conversations/{conversation['id']}/customer", keys["agent_cs"])[1]["blocked"] is None


def test_a_blocked_authors_message_is_announced_as_held_back(api, keys, table):
    from chalicelib.events import derive
    from chalicelib.store import dynamo

    # GIVEN a held-back comment
    block(api, keys)
    comment(api, "s1", "cheap followers here")
    raw = next(i for i in table.scan(TableName=table_name())["Items"] if i["pk"]["S"] == "MSG#facebook:s1")

    # WHEN the stream announces its insert
    [event] = derive.derive(None, dynamo.from_item(raw))

    # THEN it is message.triaged, removed, held back: a helpdesk rule on status open opens no ticket for it
    assert event.type == "message.triaged" and event.status == "removed" and event.data.held_back is True


def test_pages_of_blocks_follow_their_cursor_and_refuse_anothers(api, keys, table, monkeypatch):
    from chalicelib.store import blocks
    from chalicelib.store.queue import encode_cursor

    monkeypatch.setattr(blocks, "PAGE", 2)
    for author in ("a1", "a2", "a3"):
        assert block(api, keys, author=author)[0] == 201
    status, first = call(api, "GET", "/blocks", keys["manager"])
    assert status == 200 and len(first["blocks"]) == 2 and first["next_cursor"]
    status, second = call(api, "GET", f"/blocks?cursor={first['next_cursor']}", keys["manager"])
    assert status == 200
    listed = [b["author_id"] for b in first["blocks"] + second["blocks"]]
    assert sorted(listed) == ["a1", "a2", "a3"]
    # a queue listing's cursor names another partition of the same index: refused
    foreign = encode_cursor({"pk": {"S": "MSG#facebook:1"}, "sk": {"S": "MSG"}, "gsi1pk": {"S": "QUEUE#community#open"},
                             "gsi1sk": {"S": "070#2026-12-01T00:00:00Z#facebook:1"}})
    for cursor in (foreign, "bm90LWEtY3Vyc29y"):
        status, body = call(api, "GET", f"/blocks?cursor={cursor}", keys["manager"])
        assert status == 400 and body["error"]["code"] == "invalid_cursor", body


def table_name() -> str:
    import os

    return os.environ["TABLE_NAME"]


def test_erasing_a_blocked_customer_erases_what_they_wrote_and_keeps_the_block_by_their_id_only(api, keys, table):
    from support import scan_items

    # GIVEN a blocked author whose name the block shows, and a message of theirs held back
    comment(api, "s1", "first comment before the block")
    assert block(api, keys, reason="harassment")[1]["name"] == "Dana Reyes"
    comment(api, "s2", "you people are useless, I know where your office is")

    # WHEN an admin erases the customer at their request
    status, body = call(api, "POST", "/erasures", keys["admin"], {"platform": "facebook", "author_id": SPAMMER})

    # THEN the held-back message is erased with the other one
    assert status == 200 and body["done"] and body["messages_erased"] == 2, body
    assert message(api, keys, "facebook:s2")["text"] == ""
    # AND the block still holds, naming them by id only
    [listed] = call(api, "GET", "/blocks", keys["manager"])[1]["blocks"]
    assert listed["author_id"] == SPAMMER and listed["name"] is None and listed["reason"] == "harassment"
    assert "Dana Reyes" not in json.dumps([i for i in scan_items(table) if i["sk"] == "~BLOCK"])
    comment(api, "s3", "still here")
    assert message(api, keys, "facebook:s3")["moderation"]["state"] == "blocked"


def test_a_held_back_comment_hidden_on_the_platform_and_shown_again_is_held_back_again(api, keys, table, fake_platforms):
    # GIVEN a spammer's comment held back by a block (still visible on the Page: the block changed nothing there)
    block(api, keys, reason="spam ring")
    comment(api, "104857600000001_900001_5101", "free followers at my page")
    held = "facebook:104857600000001_900001_5101"

    # WHEN a manager hides it on Facebook
    status, hidden = call(api, "POST", f"/messages/{held}/moderation", keys["manager"], {"action": "hide"})

    # THEN it is hidden there, and the block's record is kept under the hide
    assert status == 200, hidden
    assert hidden["moderation"]["state"] == "hidden" and hidden["moderation"]["held_back"]["reason"] == "spam ring"
    assert any(r.path.endswith("104857600000001_900001_5101") for r in fake_platforms.requests)

    # WHEN it is shown again
    status, shown = call(api, "POST", f"/messages/{held}/moderation", keys["manager"], {"action": "unhide"})

    # THEN it is held back again, in no queue, not put in one
    assert status == 200, shown
    assert shown["status"] == "removed" and shown["moderation"]["state"] == "blocked"
    assert shown["moderation"]["reason"] == "spam ring"
    assert queue_counts(api, keys) == counted_from_messages(table)
    assert sum(q["open"] for q in queue_counts(api, keys).values()) == 0
