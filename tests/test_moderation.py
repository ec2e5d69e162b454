"""POST /messages/{id}/moderation: hide, show again or delete a customer's comment on its platform (Sprout's and
Hootsuite's Hide / Delete), then record it; a moderated message leaves the queues as a removal on the platform does."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

import payloads
from chalicelib.events import derive
from chalicelib.store import counters
from event_stream import StreamReader
from support import call, dumps, post_webhook, seed_message, snapshot

pytestmark = pytest.mark.usefixtures("fake_platforms")
QUEUE = "community"  # agent_both works it (and customer_service); agent_cs does not


def moderate(api, keys, message_id: str, action: str, who: str = "agent_both", **extra):
    return call(api, "POST", f"/messages/{message_id}/moderation", keys[who], {"action": action, **extra})


def platform_calls(fake_platforms) -> list:
    """What the fake platforms were asked other than to send a reply."""
    sends = ("/comments", "/replies", "/messages", "/tweets", "/sendMessage")
    return [r for r in fake_platforms.requests if not r.path.split("?")[0].endswith(sends)]


def comment(native_id: str = "104857600000001_900001_71001", queue: str = QUEUE, **fields) -> str:
    return seed_message(native_id, queue, platform="facebook", channel="comment", **fields)


def listed(api, keys, who: str = "manager", queue: str = QUEUE) -> list[str]:
    status, page = call(api, "GET", f"/queues/{queue}/conversations?status=open", keys[who])
    assert status == 200, page
    return [c["id"] for c in page["conversations"]]


def test_an_agent_hides_a_spam_comment_on_facebook_and_it_leaves_the_queue(api, keys, fake_platforms):
    # GIVEN a Facebook comment open in community
    message = comment()
    assert listed(api, keys) == [message] and counters.queue_counts(QUEUE)["open"] == 1
    # WHEN an agent of community hides it, saying why
    status, hidden = moderate(api, keys, message, "hide", reason="crypto scam")
    # THEN Facebook was asked to hide that comment, once
    assert status == 200, hidden
    [request] = platform_calls(fake_platforms)
    assert (request.method, request.path.split("?")[0].rsplit("/", 1)[-1]) == ("POST", "104857600000001_900001_71001")
    assert request.body == {"is_hidden": True}
    # AND the message says hidden, by whom and why, and it is out of the queue and its counts
    assert hidden["status"] == "removed"
    assert hidden["moderation"]["state"] == "hidden" and hidden["moderation"]["reason"] == "crypto scam"
    assert hidden["moderation"]["by"].startswith("agent:Bo (") and hidden["moderation"]["previous_status"] == "open"
    assert hidden["history"][-1]["event"] == "hidden"
    assert listed(api, keys) == [] and counters.queue_counts(QUEUE)["open"] == 0
    # AND it is listed among the queue's removed conversations, saying it was hidden
    status, page = call(api, "GET", f"/queues/{QUEUE}/conversations?status=removed", keys["agent_both"])
    assert [(c["id"], c["moderation"]["state"]) for c in page["conversations"]] == [(message, "hidden")]
    # AND the conversation no longer opens, while the message still reads (for undoing it)
    assert call(api, "GET", f"/conversations/{message}", keys["agent_both"])[0] == 404
    status, read = call(api, "GET", f"/messages/{message}", keys["agent_both"])
    assert status == 200 and read["moderation"] == hidden["moderation"]


def test_hiding_again_calls_nothing_and_unhide_puts_it_back_open_in_its_queue(api, keys, fake_platforms):
    # GIVEN a hidden comment
    message = comment()
    assert moderate(api, keys, message, "hide")[0] == 200
    # WHEN it is hidden again (a double click, a colleague)
    status, again = moderate(api, keys, message, "hide", who="manager")
    # THEN the answer is the message as it is, and the platform was not asked twice
    assert status == 200 and again["moderation"]["state"] == "hidden"
    assert len(platform_calls(fake_platforms)) == 1
    # WHEN it is shown again
    status, shown = moderate(api, keys, message, "unhide")
    # THEN Facebook was asked to show it, and it is open in its queue again, counted, unclaimed
    assert status == 200, shown
    assert platform_calls(fake_platforms)[-1].body == {"is_hidden": False}
    assert shown["status"] == "open" and "moderation" not in shown and "removed_at" not in shown
    assert shown["history"][-1]["event"] == "unhidden"
    assert listed(api, keys) == [message] and counters.queue_counts(QUEUE)["open"] == 1
    # AND unhiding what is not hidden is refused, with nothing called
    status, body = moderate(api, keys, message, "unhide")
    assert status == 409 and body["error"]["code"] == "not_hidden", body
    assert len(platform_calls(fake_platforms)) == 2


def test_a_resolved_conversation_hidden_and_shown_again_is_resolved_again(api, keys):
    message = comment()
    assert call(api, "POST", f"/conversations/{message}/resolve", keys["manager"], {"note": "done"})[0] == 200
    assert moderate(api, keys, message, "hide")[1]["moderation"]["previous_status"] == "resolved"
    status, shown = moderate(api, keys, message, "unhide")
    assert status == 200 and shown["status"] == "resolved" and shown["resolution_note"] == "done"
    assert listed(api, keys) == [] and counters.queue_counts(QUEUE)["open"] == 0


def test_a_claimed_conversation_hidden_and_shown_again_is_open_and_held_by_nobody(api, keys):
    message = comment()
    assert call(api, "POST", f"/conversations/{message}/claim", keys["agent_both"])[0] == 200
    status, hidden = moderate(api, keys, message, "hide")
    assert status == 200 and "claimed_by" not in hidden and counters.queue_counts(QUEUE)["claimed"] == 0
    status, shown = moderate(api, keys, message, "unhide")
    assert shown["status"] == "open" and "claimed_by" not in shown and counters.queue_counts(QUEUE)["open"] == 1


@pytest.mark.parametrize("state", ["open", "claimed", "snoozed", "resolved"])
@pytest.mark.parametrize("needs_review", [False, True])
def test_the_queue_counts_follow_a_hide_and_an_unhide_from_every_state(api, keys, table, state, needs_review):
    # GIVEN a conversation in `state`, needing review or not, and another one open beside it
    from support import counted_from_messages

    message = comment(needs_review=needs_review)
    comment("104857600000001_900001_71009", needs_review=True)
    if state != "open":
        assert call(api, "POST", f"/conversations/{message}/claim", keys["manager"])[0] == 200
    if state == "snoozed":
        until = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert call(api, "POST", f"/conversations/{message}/snooze", keys["manager"], {"until": until})[0] == 200
    if state == "resolved":
        assert call(api, "POST", f"/conversations/{message}/resolve", keys["manager"], {})[0] == 200
    # WHEN it is hidden THEN the counts say what the messages say
    assert moderate(api, keys, message, "hide")[0] == 200
    assert counters.queue_counts(QUEUE) == counted_from_messages(table)[QUEUE]
    # WHEN it is shown again THEN too
    status, shown = moderate(api, keys, message, "unhide")
    assert status == 200 and shown["status"] == ("resolved" if state == "resolved" else "open")
    assert counters.queue_counts(QUEUE) == counted_from_messages(table)[QUEUE]


@pytest.mark.parametrize("who, action, status, code", [
    ("agent_cs", "hide", 404, "unknown_message"),  # outside its queue: learns nothing
    ("agent_stance", "hide", 404, "unknown_message"),
    ("agent_both", "delete", 403, "delete_not_allowed"),  # deleting cannot be undone
])
def test_who_may_not_moderate_changes_nothing_and_calls_nothing(api, keys, table, fake_platforms, who, action, status,
                                                                code):
    message = comment()
    before = snapshot(table)
    got, body = moderate(api, keys, message, action, who=who)
    assert (got, body["error"]["code"]) == (status, code)
    assert snapshot(table) == before and platform_calls(fake_platforms) == []


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_a_manager_deletes_a_comment_for_good(api, keys, fake_platforms, who):
    # GIVEN a hidden comment
    message = comment()
    assert moderate(api, keys, message, "hide")[0] == 200
    # WHEN a manager deletes it
    status, deleted = moderate(api, keys, message, "delete", who=who, reason="doxxing")
    # THEN Facebook was asked to delete that comment, and the message says deleted
    assert status == 200, deleted
    request = platform_calls(fake_platforms)[-1]
    assert request.method == "DELETE" and request.path.split("?")[0].endswith("/104857600000001_900001_71001")
    assert deleted["status"] == "removed" and deleted["moderation"]["state"] == "deleted"
    assert deleted["moderation"]["previous_status"] == "open"  # where it was before it was hidden
    # AND deleting again calls nothing; hiding or showing it again is refused
    assert moderate(api, keys, message, "delete", who=who)[0] == 200
    assert len(platform_calls(fake_platforms)) == 2
    for action in ("hide", "unhide"):
        status, body = moderate(api, keys, message, action)
        assert status == 409 and body["error"]["code"] == "already_deleted", body


@pytest.mark.parametrize("platform, channel, native, action, method, tail, body", [
    ("instagram", "comment", "17890000000071001", "hide", "POST", "/17890000000071001", {"hide": True}),
    ("instagram", "reply", "17890000000071002", "delete", "DELETE", "/17890000000071002", None),
    ("x", "reply", "1850000000000071001", "hide", "PUT", "/2/tweets/1850000000000071001/hidden", {"hidden": True}),
])
def test_instagram_and_x_are_asked_as_they_document_it(api, keys, fake_platforms, platform, channel, native, action,
                                                       method, tail, body):
    message = seed_message(native, QUEUE, platform=platform, channel=channel)
    status, done = moderate(api, keys, message, action, who="manager")
    assert status == 200, done
    [request] = platform_calls(fake_platforms)
    assert request.method == method and request.path.split("?")[0].endswith(tail)
    assert request.body == body or (body is None and not request.body)


def test_a_telegram_group_message_is_deleted_in_its_chat(api, keys, fake_platforms):
    message = seed_message("-1001234567890:4242", QUEUE, platform="telegram", channel="reply")
    status, done = moderate(api, keys, message, "delete", who="manager")
    assert status == 200, done
    [request] = platform_calls(fake_platforms)
    assert request.path.endswith("/deleteMessage") and request.body["message_id"] == 4242
    assert str(request.body["chat_id"]) == "-1001234567890"


@pytest.mark.parametrize("platform, channel, action", [
    ("messenger", "direct_message", "hide"),  # a DM cannot be hidden
    ("facebook", "mention", "hide"),  # someone else's post
    ("x", "mention", "hide"),  # X hides replies to the brand's posts only
    ("x", "reply", "delete"),  # nobody deletes another's post
    ("telegram", "comment", "hide"),
    ("whatsapp", "direct_message", "delete"),
])
def test_what_the_platform_does_not_offer_is_refused_before_calling_it(api, keys, table, fake_platforms, platform,
                                                                      channel, action):
    message = seed_message("m71001", QUEUE, platform=platform, channel=channel)
    before = snapshot(table)
    status, body = moderate(api, keys, message, action, who="manager")
    assert status == 422 and body["error"]["code"] == "moderation_unsupported", body
    assert snapshot(table) == before and platform_calls(fake_platforms) == []


@pytest.mark.parametrize("failure, status, code", [
    ("graph_expired_token", 424, "channel_token_invalid"),
    ("graph_permission", 424, "channel_permission_denied"),
    ("graph_rate_limit", 429, "platform_rate_limited"),
    ("graph_unavailable", 502, "platform_unavailable"),
])
def test_when_the_platform_refuses_nothing_is_recorded_and_it_can_be_tried_again(api, keys, table, fake_platforms,
                                                                                failure, status, code):
    # GIVEN a comment, and Facebook refusing the next call
    message = comment()
    fake_platforms.fail_next(failure)
    # WHEN it is hidden
    got, body = moderate(api, keys, message, "hide")
    # THEN the answer says why, and the message is still open in its queue
    assert (got, body["error"]["code"]) == (status, code), body
    assert listed(api, keys) == [message]
    # AND trying again hides it
    got, hidden = moderate(api, keys, message, "hide")
    assert got == 200 and hidden["moderation"]["state"] == "hidden"


def test_the_platforms_own_hide_webhook_after_ours_changes_nothing(api, keys, table):
    # GIVEN a comment that came by webhook and was hidden from here
    response = post_webhook(api, "meta", dumps(payloads.page_comment("104857600000001_900001_71003", "Win free coins")))
    assert response.status_code == 200
    message = "facebook:104857600000001_900001_71003"
    status, read = call(api, "GET", f"/messages/{message}", keys["manager"])
    queue = read["queue"]
    assert moderate(api, keys, message, "hide", who="manager")[0] == 200
    before = snapshot(table)
    # WHEN Facebook then tells of the hide (its feed change, verb hide)
    response = post_webhook(api, "meta", dumps(payloads.page_comment("104857600000001_900001_71003", "Win free coins",
                                                                     verb="hide")))
    # THEN nothing changes: it is already out of the queues, hidden from here
    assert response.status_code == 200
    assert snapshot(table) == before
    assert call(api, "GET", f"/messages/{message}", keys["manager"])[1]["moderation"]["state"] == "hidden"
    assert counters.queue_counts(queue)["open"] == 0


def test_an_unhide_whose_own_webhook_is_recorded_first_answers_shown(api, keys, table, monkeypatch):
    # GIVEN a hidden comment, and Facebook telling of the unhide (verb unhide) before this request records it
    from chalicelib import moderation
    from chalicelib.store.messages import mark_shown
    from support import counted_from_messages

    message = comment()
    assert moderate(api, keys, message, "hide")[0] == 200
    on_platform = moderation._on_platform

    def webhook_first(stored, action, now):
        on_platform(stored, action, now)
        assert mark_shown(stored.id, now, "platform").value == "updated"

    monkeypatch.setattr(moderation, "_on_platform", webhook_first)
    # WHEN it is shown again
    status, shown = moderate(api, keys, message, "unhide")
    # THEN the answer says it is shown (it is, on Facebook and here), not 409 not_hidden
    assert status == 200, shown
    assert shown["status"] == "open" and "moderation" not in shown
    # AND it is back once in its queue, counted once
    assert listed(api, keys) == [message]
    assert counters.queue_counts(QUEUE) == counted_from_messages(table)[QUEUE]


def test_a_hide_whose_own_webhook_is_recorded_first_still_says_who_hid_it_and_why(api, keys, table, monkeypatch):
    # GIVEN Facebook telling of the hide (verb hide) before this request records it
    from chalicelib import moderation
    from chalicelib.store.messages import mark_removed
    from support import counted_from_messages

    message = comment()
    on_platform = moderation._on_platform

    def webhook_first(stored, action, now):
        on_platform(stored, action, now)
        assert mark_removed(stored.id, now, "platform", hidden=True).value == "removed"

    monkeypatch.setattr(moderation, "_on_platform", webhook_first)
    # WHEN an agent hides it, saying why
    status, hidden = moderate(api, keys, message, "hide", reason="phishing link")
    # THEN the record says she hid it and why (the team's record, not "the platform"), from where it was
    assert status == 200, hidden
    assert hidden["moderation"]["by"].startswith("agent:Bo (") and hidden["moderation"]["reason"] == "phishing link"
    assert hidden["moderation"]["previous_status"] == "open"
    assert counters.queue_counts(QUEUE) == counted_from_messages(table)[QUEUE]


def test_a_comment_removed_on_the_platform_itself_is_not_hidden_from_here(api, keys, fake_platforms):
    message = comment()
    from chalicelib.store.messages import mark_removed

    mark_removed(message, datetime.now(timezone.utc), actor="platform")
    status, body = moderate(api, keys, message, "hide")
    assert status == 409 and body["error"]["code"] == "already_removed", body
    status, body = moderate(api, keys, message, "unhide")
    assert status == 409 and body["error"]["code"] == "not_hidden", body
    assert platform_calls(fake_platforms) == []


def test_a_later_comment_hidden_in_a_thread_leaves_the_conversation_open(api, keys, fake_platforms):
    # GIVEN a comment thread: a customer's comment and someone's abusive reply under it
    post = "104857600000001_900002"
    first = post_webhook(api, "meta", dumps(payloads.page_comment(f"{post}_81001", "Where is my parcel?", post_id=post)))
    later = post_webhook(api, "meta", dumps(payloads.page_comment(
        f"{post}_81002", "shut up idiot", post_id=post, parent_id=f"{post}_81001", author_id="5550002")))
    assert first.status_code == 200 and later.status_code == 200
    head, member = f"facebook:{post}_81001", f"facebook:{post}_81002"
    status, conversation = call(api, "GET", f"/conversations/{head}", keys["manager"])
    assert status == 200 and member in [m["id"] for m in conversation["messages"]], conversation
    # WHEN the reply is hidden
    status, hidden = moderate(api, keys, member, "hide", who="manager")
    # THEN the reply is hidden and the conversation stays open, showing it as hidden
    assert status == 200 and hidden["status"] == "removed" and hidden["moderation"]["state"] == "hidden"
    status, conversation = call(api, "GET", f"/conversations/{head}", keys["manager"])
    assert status == 200 and conversation["status"] == "open"
    shown = {m["id"]: m for m in conversation["messages"]}
    assert shown[member]["moderation"]["state"] == "hidden"
    # AND shown again, it is a message of the conversation as before
    status, back = moderate(api, keys, member, "unhide", who="manager")
    assert status == 200 and back["status"] == "in_conversation" and back["conversation"] == head


def test_a_conversation_shown_again_after_its_thread_moved_on_does_not_open_a_second_time(api, keys, table):
    # GIVEN a customer's comment hidden from here, and a reply in its thread that came while it was hidden (it opened
    # a conversation of its own: the hidden one was out of the queues)
    from support import counted_from_messages

    post = "104857600000001_900003"
    head, later = f"facebook:{post}_91001", f"facebook:{post}_91002"
    assert post_webhook(api, "meta", dumps(payloads.page_comment(
        f"{post}_91001", "Where is my refund?", post_id=post))).status_code == 200
    queue = call(api, "GET", f"/messages/{head}", keys["manager"])[1]["queue"]
    assert moderate(api, keys, head, "hide", who="manager")[0] == 200
    assert post_webhook(api, "meta", dumps(payloads.page_comment(
        f"{post}_91002", "Still waiting for my refund", post_id=post, parent_id=f"{post}_91001"))).status_code == 200
    assert call(api, "GET", f"/messages/{later}", keys["manager"])[1]["conversation"] == later
    # WHEN the first comment is shown again
    status, shown = moderate(api, keys, head, "unhide", who="manager")
    # THEN it is shown, and comes back resolved: the thread is open once, in the conversation its new message opened
    # (a person may still reopen it), and the counts say what the messages say
    assert status == 200, shown
    assert shown["status"] == "resolved" and "moderation" not in shown
    status, page = call(api, "GET", f"/queues/{queue}/conversations?status=open", keys["manager"])
    assert [c["id"] for c in page["conversations"]] == [later]
    assert counters.queue_counts(queue) == counted_from_messages(table)[queue]
    assert call(api, "POST", f"/conversations/{head}/reopen", keys["manager"], {})[0] == 200


def test_the_events_say_hidden_by_whom_deleted_and_restored(api, keys, table):
    message = comment()
    reader = StreamReader(table, os.environ["TABLE_NAME"])
    reader.read()
    moderate(api, keys, message, "hide", reason="scam")
    moderate(api, keys, message, "unhide")
    moderate(api, keys, message, "hide")
    moderate(api, keys, message, "delete", who="manager")
    events = [e for record in reader.read() for e in derive.from_record(record)]
    assert [(e.type, e.data.model_dump(exclude_none=True)) for e in events] == [
        ("message.removed", {"previous_status": "open", "moderation": "hidden", "removed_by": events[0].actor}),
        ("message.restored", {"to_status": "open", "restored_by": events[1].actor}),
        ("message.removed", {"previous_status": "open", "moderation": "hidden", "removed_by": events[2].actor}),
        ("message.removed", {"previous_status": "removed", "moderation": "deleted", "removed_by": events[3].actor}),
    ]
    assert events[0].actor.startswith("agent:Bo (") and events[3].actor.startswith("manager:Max (")


# hidden, shown and deleted on Facebook itself (Business Suite, Facebook's own filters) ------------------------

COMMENT = "104857600000001_900001_71004"


def facebook_says(api, verb: str, text: str = "Cheap followers at my profile") -> None:
    response = post_webhook(api, "meta", dumps(payloads.page_comment(COMMENT, text, verb=verb)))
    assert response.status_code == 200, response.body


def test_a_comment_hidden_on_facebook_leaves_the_queue_and_can_be_shown_again_from_here(api, keys, fake_platforms):
    # GIVEN a comment that came by webhook, then hidden in Business Suite (the feed change's verb hide)
    facebook_says(api, "add")
    message = f"facebook:{COMMENT}"
    queue = call(api, "GET", f"/messages/{message}", keys["manager"])[1]["queue"]
    facebook_says(api, "hide")
    # THEN it is out of the queue, hidden by the platform
    status, read = call(api, "GET", f"/messages/{message}", keys["manager"])
    assert read["status"] == "removed" and read["moderation"]["state"] == "hidden"
    assert read["moderation"]["by"] == "platform" and counters.queue_counts(queue)["open"] == 0
    # WHEN someone here shows it again
    status, shown = moderate(api, keys, message, "unhide", who="manager")
    # THEN Facebook is asked to show it, and it is open in its queue
    assert status == 200 and shown["status"] == "open", shown
    assert [r.body for r in platform_calls(fake_platforms)] == [{"is_hidden": False}]
    assert counters.queue_counts(queue)["open"] == 1


def test_a_comment_shown_again_on_facebook_is_back_in_its_queue(api, keys, fake_platforms):
    facebook_says(api, "add")
    message = f"facebook:{COMMENT}"
    assert moderate(api, keys, message, "hide", who="manager")[0] == 200
    # WHEN Business Suite shows it again (verb unhide), twice (a redelivery)
    facebook_says(api, "unhide")
    facebook_says(api, "unhide")
    # THEN it is open again, with nothing asked of Facebook but the hide
    status, read = call(api, "GET", f"/messages/{message}", keys["manager"])
    assert read["status"] == "open" and "moderation" not in read
    assert [e["event"] for e in read["history"]][-2:] == ["hidden", "unhidden"]
    assert len(platform_calls(fake_platforms)) == 1


def test_a_hidden_comment_deleted_on_facebook_can_no_longer_be_shown(api, keys, fake_platforms):
    facebook_says(api, "add")
    message = f"facebook:{COMMENT}"
    assert moderate(api, keys, message, "hide", who="manager")[0] == 200
    facebook_says(api, "remove")
    status, read = call(api, "GET", f"/messages/{message}", keys["manager"])
    assert read["moderation"]["state"] == "deleted" and read["moderation"]["by"] == "platform"
    status, body = moderate(api, keys, message, "unhide", who="manager")
    assert status == 409 and body["error"]["code"] == "already_deleted", body
    assert len(platform_calls(fake_platforms)) == 1


def test_a_delete_facebook_answers_does_not_exist_for_a_comment_still_there_is_not_recorded(api, keys, table,
                                                                                          fake_platforms):
    # GIVEN a comment Facebook will not let this token delete (Graph's 100/33, as for a comment already gone)
    message = comment()
    fake_platforms.fail_next("graph_cannot_delete")
    before = snapshot(table)
    # WHEN a manager deletes it
    status, body = moderate(api, keys, message, "delete", who="manager")
    # THEN the comment, read again by its id, is still there: refused in words, and nothing is recorded
    assert status == 422 and body["error"]["code"] == "platform_rejected", body
    assert "still there" in body["error"]["message"]
    assert snapshot(table) == before and listed(api, keys) == [message]
