"""Narrowing a queue listing (platform, language, needs review, answered) and the caller's own conversations."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from support import call, seed_bulk, seed_message, triaged

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
PLATFORMS = ("facebook", "whatsapp", "x")


def mark_answered(table, message_id: str) -> None:
    """The brand answered it (what a reply or an echo writes on the conversation's head)."""
    table.update_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": f"MSG#{message_id}"}, "sk": {"S": "MSG"}},
                      UpdateExpression="SET first_reply_at = :at", ExpressionAttributeValues={":at": {"S": "2026-11-20T10:00:00.000000Z"}})


def read_all(api, who: dict, path: str, **query) -> tuple[list[str], int]:
    """Every id of a listing, following its cursors; and how many pages it took."""
    seen, cursor, pages = [], None, 0
    while True:
        params = {k: v for k, v in {**query, "cursor": cursor}.items() if v is not None}
        status, page = call(api, "GET", f"{path}?{urlencode(params)}", who)
        assert status == 200, page
        pages += 1
        seen += [m["id"] for m in page.get("conversations", page.get("messages", []))]
        cursor = page["next_cursor"]
        if not cursor:
            return seen, pages


@pytest.fixture
def mixed_queue(table):
    """Thirty conversations in one queue with every combination of the filterable facts, in random order."""
    chosen = random.Random(7)
    facts = {}
    for i in range(30):
        native = f"mix{i:02d}"
        platform, language = chosen.choice(PLATFORMS), chosen.choice(("en", "ja"))
        review = chosen.random() < 0.3
        message_id = seed_message(native, "customer_service", platform=platform, language=language,
                                  needs_review=review, priority=chosen.choice((20, 50, 80)),
                                  received_at=T0 + timedelta(minutes=i))
        answered = chosen.random() < 0.4
        if answered:
            mark_answered(table, message_id)
        facts[message_id] = {"platform": platform, "language": language, "needs_review": review, "answered": answered}
    return facts


@pytest.mark.parametrize("query", [
    {"platform": "whatsapp"},
    {"language": "ja"},
    {"needs_review": "true"},
    {"needs_review": "false", "language": "en"},
    {"answered": "false"},
    {"answered": "true", "platform": "x"},
    {"platform": "telegram"},
])
@pytest.mark.parametrize("limit", [1, 4, 100])
def test_a_filtered_listing_is_the_queue_in_order_narrowed_to_the_matches(api, keys, mixed_queue, query, limit):
    # GIVEN a queue of conversations with mixed platforms, languages, review flags and answers
    everything, _ = read_all(api, keys["agent_cs"], "/queues/customer_service/conversations", limit=100)
    # WHEN an agent pages through it with a filter
    filtered, _ = read_all(api, keys["agent_cs"], "/queues/customer_service/conversations", limit=limit, **query)

    # THEN she sees exactly the matches, each once, in the queue's own order
    def matches(message_id):
        facts = mixed_queue[message_id]
        return all(str(facts[name]).lower() == value for name, value in query.items())

    assert filtered == [m for m in everything if matches(m)]


def test_a_rare_match_deep_in_a_long_queue_costs_bounded_reads_per_page(api, keys, table, monkeypatch):
    from chalicelib.store import queue

    # GIVEN a queue of 60 Facebook comments where only the oldest one came by WhatsApp
    monkeypatch.setattr(queue, "FILTERED_PAGE", 10)
    monkeypatch.setattr(queue, "FILTERED_READS", 2)
    seed_bulk(table, [triaged(f"deep{i:02d}", "stance", received_at=T0 + timedelta(minutes=i)) for i in range(1, 60)]
              + [triaged("rare", "stance", platform="whatsapp", received_at=T0)])
    reads = []
    real_query = queue.dynamo.client().query
    monkeypatch.setattr(queue.dynamo.client(), "query", lambda **kw: reads.append(kw) or real_query(**kw))
    # WHEN the manager asks for WhatsApp conversations in priority order (equal priority: oldest first)
    status, page = call(api, "GET", "/queues/stance/conversations?platform=whatsapp&limit=5", keys["manager"])
    # THEN the first page is found within its two reads
    assert status == 200 and [m["id"] for m in page["conversations"]] == ["whatsapp:rare"]
    assert len(reads) <= 2
    # AND with the match last in the queue, pages come back empty but with a cursor, each within its budget
    monkeypatch.setattr(queue, "FILTERED_PAGE", 7)
    table.delete_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "MSG#whatsapp:rare"}, "sk": {"S": "MSG"}})
    seed_message("last", "stance", platform="whatsapp", received_at=T0 + timedelta(hours=5))
    reads.clear()
    found, pages = read_all(api, keys["manager"], "/queues/stance/conversations", platform="whatsapp", limit=5)
    assert found == ["whatsapp:last"]
    assert pages >= 4 and len(reads) <= 2 * pages


@pytest.mark.parametrize("query,code", [
    ("platform=Face%20book", "invalid_query"),
    ("language=fr", "invalid_query"),
    ("needs_review=maybe", "invalid_query"),
    ("answered=2", "invalid_query"),
])
def test_a_filter_value_the_api_does_not_know_is_a_400(api, keys, query, code):
    status, body = call(api, "GET", f"/queues/community/conversations?{query}", keys["manager"])
    assert status == 400 and body["error"]["code"] == code, body


def test_a_filtered_cursor_works_only_for_its_own_queue_and_status(api, keys, mixed_queue):
    status, page = call(api, "GET", "/queues/customer_service/conversations?limit=1&platform=x", keys["manager"])
    assert status == 200 and page["next_cursor"]
    status, body = call(api, "GET", f"/queues/community/conversations?platform=x&cursor={page['next_cursor']}",
                        keys["manager"])
    assert status == 400 and body["error"]["code"] == "invalid_cursor"


# the caller's own conversations ------------------------------------------------------------------------

def mine(api, who, query: str = "") -> list[dict]:
    status, page = call(api, "GET", f"/me/conversations{query}", who)
    assert status == 200, page
    return page["conversations"]


def test_my_conversations_are_those_i_hold_in_every_queue_i_work_highest_priority_first(api, keys):
    # GIVEN conversations in two queues, claimed by two agents
    seed_message("cs-low", "customer_service", priority=20, received_at=T0)
    seed_message("cs-high", "customer_service", priority=80, received_at=T0)
    seed_message("cs-other", "customer_service", priority=90, received_at=T0)
    seed_message("co-mid", "community", priority=50, received_at=T0, platform="x")
    seed_message("co-open", "community", priority=10, received_at=T0)
    assert call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1})[1]["claimed"][0]["id"] \
        == "facebook:cs-other"
    status, claimed = call(api, "POST", "/queues/customer_service/claim", keys["agent_both"], {"count": 2})
    assert [m["id"] for m in claimed["claimed"]] == ["facebook:cs-high", "facebook:cs-low"]
    assert call(api, "POST", "/conversations/x:co-mid/claim", keys["agent_both"], {})[0] == 200
    # WHEN each asks for their own
    # THEN each sees only what they hold, across queues, in priority order
    assert [m["id"] for m in mine(api, keys["agent_both"])] == ["facebook:cs-high", "x:co-mid", "facebook:cs-low"]
    assert [m["id"] for m in mine(api, keys["agent_cs"])] == ["facebook:cs-other"]
    assert mine(api, keys["manager"]) == []
    # AND filters narrow it as they narrow a queue
    assert [m["id"] for m in mine(api, keys["agent_both"], "?platform=x")] == ["x:co-mid"]
    # AND one released or resolved is no longer hers
    assert call(api, "POST", "/conversations/facebook:cs-high/release", keys["agent_both"])[0] == 200
    assert call(api, "POST", "/conversations/x:co-mid/resolve", keys["agent_both"], {})[0] == 200
    assert [m["id"] for m in mine(api, keys["agent_both"])] == ["facebook:cs-low"]


def test_a_lapsed_lease_stays_mine_until_someone_else_takes_it(api, keys, monkeypatch):
    import app as app_module

    # GIVEN a conversation an agent claimed for one second, and the second has passed
    seed_message("lapse", "customer_service", received_at=T0)
    status, claimed = call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"lease_seconds": 60})
    assert status == 200 and claimed["claimed"]
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    monkeypatch.setattr(app_module, "now", lambda: later)
    # WHEN she lists her conversations THEN it is there, with the lease's end (past) for the console to say so
    [held] = mine(api, keys["agent_cs"])
    assert held["id"] == "facebook:lapse" and datetime.fromisoformat(held["lease_expires_at"]) < later
    # AND once another agent takes it, it is theirs and no longer hers
    assert call(api, "POST", "/conversations/facebook:lapse/claim", keys["agent_both"], {})[0] == 200
    assert mine(api, keys["agent_cs"]) == []
    assert [m["id"] for m in mine(api, keys["agent_both"])] == ["facebook:lapse"]


def test_words_find_conversations_by_their_first_or_latest_customer_message_whatever_the_case(api, keys, table):
    import json

    import payloads
    from support import dumps, post_webhook

    # GIVEN conversations that mention a refund in several cases, one in Japanese, and one that does not
    for native, text in (("r1", "Refund please, order 4471"), ("r2", "I WANT A REFUND NOW"), ("r3", "where is my refund?"),
                         ("r4", "注文番号４４７１の返金はまだですか"), ("r5", "Love the new flavour")):
        seed_message(native, "customer_service", text=text)
    # AND a DM conversation whose first message says nothing of it, but whose latest does
    for mid, text in (("m.s1", "Hello, question about my order"), ("m.s2", "Actually I need a refund for it")):
        response = post_webhook(api, "meta", dumps(payloads.messenger_dm(mid, text, sender="6100000000099")))
        assert response.status_code == 200 and json.loads(response.body)["stored"] == 1
    status, dm = call(api, "GET", "/conversations/messenger:m.s1", keys["manager"])
    queue = dm["queue"]

    def found(queue_name: str, words: str) -> set[str]:
        ids, _ = read_all(api, keys["manager"], f"/queues/{queue_name}/conversations", q=words)
        return set(ids)

    # WHEN an agent searches THEN the words match as typed, lower case, capitalised or upper case
    assert {"facebook:r1", "facebook:r2", "facebook:r3"} <= found("customer_service", "refund")
    assert "facebook:r5" not in found("customer_service", "refund")
    # AND in the latest customer message of a conversation
    assert "messenger:m.s1" in found(queue, "refund")
    # AND full-width digits are found by half-width ones, Japanese as typed
    assert found("customer_service", "4471") >= {"facebook:r1", "facebook:r4"}
    assert found("customer_service", "返金") == {"facebook:r4"}


def test_a_blank_search_is_no_search_and_one_past_100_characters_is_a_400(api, keys):
    seed_message("any", "community", text="Great meetup")
    status, body = call(api, "GET", "/queues/community/conversations?q=%20%20", keys["manager"])
    assert status == 200 and [c["id"] for c in body["conversations"]] == ["facebook:any"]
    status, body = call(api, "GET", f"/queues/community/conversations?q={'x' * 101}", keys["manager"])
    assert status == 400 and body["error"]["code"] == "invalid_query", body
