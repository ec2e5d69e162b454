"""A customer's conversations (store.customers, rules in domain.customers): one pointer per conversation the
customer opened, written with its head exactly once; read newest first, a page at a time, with each head's state
as it is now, only what the caller may read."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from support import scan_items, triaged

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
EVERY_QUEUE = lambda queue: True  # noqa: E731 - a manager's scope


def comment(native: str, queue: str = "customer_service", *, author: str = "fan", at=NOW, platform="facebook"):
    """A top-level comment: a conversation of its own."""
    item = triaged(native, queue, received_at=at, author=author, platform=platform,
                   text=f"comment {native} about order 4471")
    return replace(item, message=replace(item.message, account="page1"))


def dm(native: str, queue: str = "customer_service", *, author: str = "cust1", at=NOW):
    item = triaged(native, queue, received_at=at, platform="messenger", author=author, channel="direct_message")
    return replace(item, message=replace(item.message, account="page1", conversation_id=f"messenger:page1:{author}"))


def save(item, now=None):
    from chalicelib.store import conversations

    return conversations.save_inbound(item, now or item.message.received_at).value


def head(conversation: str):
    from chalicelib.store.messages import get_message

    return get_message(conversation)


def pointers(client) -> list[dict]:
    return [i for i in scan_items(client) if i["pk"].startswith("CUSTOMER#")]


def others(conversation: str, can_work=EVERY_QUEUE, cursor=None):
    from chalicelib.store import customers

    return customers.other_conversations(head(conversation), can_work, cursor)


def opened(n: int, queue: str = "customer_service", author: str = "fan") -> list[str]:
    """n conversations by one author, a minute apart, oldest first."""
    ids = []
    for i in range(n):
        item = comment(f"c{i}", queue, author=author, at=NOW + timedelta(minutes=i))
        assert save(item) == "stored"
        ids.append(item.message.id)
    return ids


def test_a_conversation_gets_one_pointer_however_often_its_first_message_is_redelivered(table):
    # GIVEN a customer's message that opens a conversation
    item = comment("c0")
    assert save(item) == "stored"
    # WHEN the platform delivers it again, later (ingest stamps each delivery with its own received_at)
    again = replace(item, message=replace(item.message, received_at=NOW + timedelta(minutes=3)))
    assert save(again, NOW + timedelta(minutes=3)) == "duplicate"
    # THEN the customer has one pointer, to that conversation, at its first delivery's time
    [pointer] = pointers(table)
    assert pointer["pk"] == "CUSTOMER#facebook#fan"
    assert pointer["sk"] == f"C#{head('facebook:c0').received_at}#facebook:c0"
    assert (pointer["conversation"], pointer["type"]) == ("facebook:c0", "customer_conversation")


def test_messages_joining_a_conversation_add_no_pointer(table):
    # GIVEN a DM conversation WHEN two more DMs of the customer join it
    for i in range(3):
        assert save(dm(f"m{i}", at=NOW + timedelta(minutes=i))) == "stored"
    # THEN the customer still has one pointer: to the conversation, not to each message
    assert head("messenger:m0").message_count == 3
    assert [p["conversation"] for p in pointers(table)] == ["messenger:m0"]


def test_the_brands_own_messages_and_authors_without_an_id_get_no_pointer(table):
    from chalicelib.models import OUTBOUND
    from chalicelib.store import conversations

    # GIVEN a comment by an author the platform does not name (many people under "unknown")
    assert save(comment("anon", author="unknown")) == "stored"
    assert pointers(table) == []
    # WHEN the brand answers a customer's DM on the platform itself
    assert save(dm("m0")) == "stored"
    reply = dm("m1", at=NOW + timedelta(minutes=1)).message
    reply = replace(reply, direction=OUTBOUND, author=replace(reply.author, id="page1"))
    assert conversations.save_outbound(reply, NOW + timedelta(minutes=1)).value == "stored"
    # THEN only the customer's conversation has a pointer; "unknown" has no listing at all
    assert [p["pk"] for p in pointers(table)] == ["CUSTOMER#messenger#cust1"]
    assert others("facebook:anon") == ([], None)


def test_the_others_are_listed_newest_first_without_the_one_being_read(table):
    # GIVEN four conversations by one customer and one by someone else
    ids = opened(4)
    save(comment("stranger", author="someone-else", at=NOW + timedelta(minutes=9)))
    # WHEN the second one is read
    listed, cursor = others(ids[1])
    # THEN the other three are listed, newest first, with their state and the start of their first message
    assert [c.id for c in listed] == [ids[3], ids[2], ids[0]]
    assert cursor is None
    first = listed[-1]
    assert (first.queue, first.status, first.channel, first.message_count) == ("customer_service", "open", "comment", 1)
    assert first.received_at == head(ids[0]).received_at
    assert first.text == "comment c0 about order 4471" and not first.text_cut


def test_a_long_first_message_is_listed_by_its_first_words(table):
    from chalicelib.store.customers import FIRST_WORDS_CHARS

    opened(1)
    long = comment("long", at=NOW + timedelta(minutes=5))
    save(replace(long, message=replace(long.message, text="word " * 2000)))
    [listed], _ = others("facebook:c0")
    assert listed.text == ("word " * 2000)[:FIRST_WORDS_CHARS] and listed.text_cut


def test_pages_follow_the_cursor_to_the_oldest(table, monkeypatch):
    from chalicelib.store import customers

    # GIVEN seven conversations by one customer, and pages of two
    monkeypatch.setattr(customers, "PAGE", 2)
    monkeypatch.setattr(customers, "POINTERS_PER_READ", 2)
    ids = opened(7)
    # WHEN the newest one is read and the others are paged through
    seen, cursor, pages = [], None, 0
    while True:
        listed, cursor = others(ids[6], cursor=cursor)
        seen += [c.id for c in listed]
        pages += 1
        assert len(listed) <= 2
        if cursor is None:
            break
    # THEN every other conversation is listed once, newest first
    assert seen == list(reversed(ids[:6]))
    assert pages in (3, 4)  # the last page may be empty: DynamoDB may hand back a key with nothing after it


def test_removed_conversations_are_left_out(table):
    from chalicelib.store.messages import mark_removed

    # GIVEN three conversations, the middle one deleted on the platform
    ids = opened(3)
    assert mark_removed(ids[1], NOW + timedelta(hours=1), actor="platform").value == "removed"
    # WHEN the newest is read THEN the removed one is not listed
    assert [c.id for c in others(ids[2])[0]] == [ids[0]]


def test_a_rerouted_conversation_is_listed_in_its_queue_now(table):
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import queue

    # GIVEN two conversations in customer_service, the older one moved to stance by a manager
    ids = opened(2)
    queue.reroute(head(ids[0]), Actor("manager:Max", may_override=True), "stance", "a complaint about the ad",
                  NOW + timedelta(hours=1))
    # WHEN the newer one is read
    [listed], _ = others(ids[1])
    # THEN the older one shows its queue as it is now (the pointer never changes; the head is read)
    assert (listed.id, listed.queue) == (ids[0], "stance")
    # and an agent of customer_service no longer sees it there
    assert others(ids[1], can_work=lambda q: q == "customer_service") == ([], None)


def test_only_conversations_in_queues_the_caller_works_are_listed(table):
    # GIVEN a customer with conversations in customer_service and in stance
    save(comment("cs1", "customer_service", at=NOW))
    save(comment("st1", "stance", at=NOW + timedelta(minutes=1)))
    save(comment("cs2", "customer_service", at=NOW + timedelta(minutes=2)))
    save(comment("st2", "stance", at=NOW + timedelta(minutes=3)))
    # WHEN an agent of customer_service reads the newest customer_service one
    listed, cursor = others("facebook:cs2", can_work=lambda q: q == "customer_service")
    # THEN only the other customer_service one is listed, with nothing said about the stance ones
    assert ([c.id for c in listed], cursor) == (["facebook:cs1"], None)
    # AND a manager sees all three
    assert [c.id for c in others("facebook:cs2")[0]] == ["facebook:st2", "facebook:st1", "facebook:cs1"]


def test_a_page_reads_a_bounded_number_of_pointers_when_most_are_hidden(table, monkeypatch):
    from chalicelib.store import customers

    # GIVEN pages of two read two pointers at a time, at most two reads a page, and a customer whose five
    # newest conversations are in a queue the caller does not work
    monkeypatch.setattr(customers, "PAGE", 2)
    monkeypatch.setattr(customers, "POINTERS_PER_READ", 2)
    monkeypatch.setattr(customers, "READS", 2)
    save(comment("cs0", "customer_service", at=NOW))
    save(comment("cs1", "customer_service", at=NOW + timedelta(minutes=1)))
    for i in range(5):
        save(comment(f"st{i}", "stance", at=NOW + timedelta(minutes=2 + i)))
    viewing, agent = "facebook:cs1", (lambda q: q == "customer_service")
    # WHEN the agent reads the list
    listed, cursor = others(viewing, can_work=agent)
    # THEN the first page stops after its reads, with a cursor to go on; following it finds the other one
    assert listed == [] and cursor is not None
    found = []
    while cursor is not None:
        page, cursor = others(viewing, can_work=agent, cursor=cursor)
        found += [c.id for c in page]
    assert found == ["facebook:cs0"]


def test_a_cursor_from_another_customer_or_tampered_is_refused(table):
    from chalicelib.domain.errors import InvalidRequest
    from chalicelib.store.entities import CustomerConversationKeys, MessageKeys, key
    from chalicelib.store.queue import encode_cursor

    ids = opened(2)
    save(comment("x", author="someone-else"))
    foreign = encode_cursor(key(CustomerConversationKeys.pk("facebook", "someone-else"), "C#2026"))
    listing = encode_cursor({"pk": {"S": MessageKeys.pk(ids[0])}, "sk": {"S": "MSG"},
                             "gsi1pk": {"S": "CUSTOMER#facebook#fan"}, "gsi1sk": {"S": "x"}})
    for cursor in (foreign, listing, "bm90LWpzb24", "e30"):  # another customer's, a queue's, not JSON, {}
        with pytest.raises(InvalidRequest) as refused:
            others(ids[1], cursor=cursor)
        assert refused.value.code == "invalid_cursor"


def test_a_cursor_of_this_customer_naming_no_pointer_position_is_refused(table):
    from chalicelib.domain.errors import InvalidRequest
    from chalicelib.store.entities import CustomerConversationKeys, key
    from chalicelib.store.queue import encode_cursor

    # GIVEN a customer's conversations, and cursors bound to her partition whose sort key no listing gives:
    # outside the pointers (DynamoDB refuses such a start key: "outside query boundaries"), empty (no key may
    # be), longer than a sort key may be (1024 bytes), or not Unicode text (a lone surrogate); moto accepts them
    ids = opened(2)
    partition = CustomerConversationKeys.pk("facebook", "fan")
    forged = [encode_cursor(key(partition, sk)) for sk in ("MSG", "", "C#" + "9" * 1100, "C#\ud800")]
    # WHEN they are used THEN each is refused as a cursor this listing did not give (a 400 that says so, not
    # the storage's refusal)
    for cursor in forged:
        with pytest.raises(InvalidRequest) as refused:
            others(ids[1], cursor=cursor)
        assert refused.value.code == "invalid_cursor"


def test_a_cursor_never_names_a_conversation_the_caller_may_not_read(table, monkeypatch):
    import base64
    import json

    from chalicelib.store import customers
    from chalicelib.store.entities import iso

    # GIVEN pages of two read two pointers at a time, at most two reads a page, and a customer whose five
    # newest conversations are in stance, which the agent does not work
    monkeypatch.setattr(customers, "PAGE", 2)
    monkeypatch.setattr(customers, "POINTERS_PER_READ", 2)
    monkeypatch.setattr(customers, "READS", 2)
    save(comment("cs0", "customer_service", at=NOW))
    save(comment("cs1", "customer_service", at=NOW + timedelta(minutes=1)))
    stance = [comment(f"st{i}", "stance", at=NOW + timedelta(minutes=2 + i)) for i in range(5)]
    for item in stance:
        save(item)
    viewing, agent = "facebook:cs1", (lambda q: q == "customer_service")
    # WHEN the agent pages through the list (each page stops on a stance conversation, its reads spent)
    cursors, found, cursor = [], [], None
    while True:
        page, cursor = others(viewing, can_work=agent, cursor=cursor)
        found += [c.id for c in page]
        if cursor is None:
            break
        cursors.append(cursor)
    # THEN she finds the other customer_service one, and no cursor she was given, decoded, names a stance
    # conversation or the time it was opened
    assert found == ["facebook:cs0"] and cursors
    hidden = [(item.message.id, iso(item.message.received_at)) for item in stance]
    for cursor in cursors:
        plain = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        assert json.loads(plain)["pk"] == "CUSTOMER#facebook#fan"
        assert not any(conversation in plain or received in plain for conversation, received in hidden), plain


def test_a_stored_position_of_another_customer_or_made_up_is_refused(table, monkeypatch):
    from chalicelib.domain.errors import InvalidRequest
    from chalicelib.store import customers
    from chalicelib.store.entities import CustomerConversationKeys, key
    from chalicelib.store.queue import encode_cursor

    # GIVEN a cursor kept for a page that stopped on a conversation the agent may not read
    monkeypatch.setattr(customers, "PAGE", 1)
    monkeypatch.setattr(customers, "POINTERS_PER_READ", 1)
    monkeypatch.setattr(customers, "READS", 1)
    save(comment("cs0", "customer_service", at=NOW))
    save(comment("st0", "stance", at=NOW + timedelta(minutes=1)))
    save(comment("cs1", "customer_service", at=NOW + timedelta(minutes=2)))
    save(comment("x", author="someone-else", at=NOW + timedelta(minutes=3)))
    agent = lambda q: q == "customer_service"  # noqa: E731
    listed, kept = others("facebook:cs1", can_work=agent)
    assert listed == [] and kept is not None
    # WHEN it is used for another customer, or a position is made up
    made_up = encode_cursor(key(CustomerConversationKeys.pk("facebook", "fan"), "R#nothing-kept-here"))
    for conversation, cursor in (("facebook:x", kept), ("facebook:cs1", made_up)):
        # THEN it is refused as a cursor this listing did not give
        with pytest.raises(InvalidRequest) as refused:
            others(conversation, can_work=lambda q: True, cursor=cursor)
        assert refused.value.code == "invalid_cursor"
    # AND the kept one still leads her on to the end
    found, cursor = [], kept
    while cursor is not None:
        page, cursor = others("facebook:cs1", can_work=agent, cursor=cursor)
        found += [c.id for c in page]
    assert found == ["facebook:cs0"]

