"""A message its author deleted on the platform keeps no copy of its text here (X's Developer Policy: delete what was
deleted on X; Meta's Platform Terms: delete data when its user deletes it, an Instagram or Messenger unsend).

Through the signed webhooks and the API: the deletion takes the message out of the queues and erases it (reason
`deleted_on_platform`, by `platform`). A hide erases nothing (the comment is still there), and neither does the
platform's webhook of a delete made from this inbox: that text is the team's record of why, until a customer erasure.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

import payloads
from chalicelib.domain.privacy import DELETED_ON_PLATFORM
from support import SHARED, call, dumps, meta_headers, message_items, post_webhook, seed_message, snapshot

pytestmark = pytest.mark.usefixtures("fake_platforms")
COMMENT = "104857600000001_900001_72001"
TEXT = "My phone is 090-1234-5678, call me about order 4471"


def deliver(api, route: str, payload: dict) -> dict:
    response = post_webhook(api, route, dumps(payload))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def read(api, keys, message_id: str) -> dict:
    status, message = call(api, "GET", f"/messages/{message_id}", keys["manager"])
    assert status == 200, message
    return message


def assert_erased_on_platform(message: dict) -> None:
    assert message["status"] == "removed"
    assert message["text"] == "" and TEXT not in json.dumps(message)
    assert message["erased"]["reason"] == DELETED_ON_PLATFORM and message["erased"]["by"] == "platform"
    assert set(message["author"]) == {"id"}  # no name, no handle
    assert message["triage"]["top_terms"] == []


def x_delete(tweet_id: str) -> dict:
    return {"for_user_id": payloads.BRAND_X_ID, "tweet_delete_events": [
        {"status": {"id": tweet_id, "user_id": "9000001"}, "timestamp_ms": "1714966000000"}]}


def test_a_tweet_deleted_on_x_is_erased_here(api, keys):
    # GIVEN a customer's reply to the brand, stored
    deliver(api, "x", payloads.x_tweet("1850000000000072001", "@brand " + TEXT, reply_to="1850000000000070000"))
    assert read(api, keys, "x:1850000000000072001")["text"].endswith(TEXT)
    # WHEN X tells that it was deleted
    body = deliver(api, "x", x_delete("1850000000000072001"))
    # THEN it left the queues and keeps no copy of its text nor of its author's name
    assert body["removed"] == 1
    assert_erased_on_platform(read(api, keys, "x:1850000000000072001"))


@pytest.mark.parametrize("instagram", [True, False], ids=["instagram", "messenger"])
def test_a_dm_unsent_by_the_customer_is_erased_here(api, keys, instagram):
    # GIVEN a customer's DM, stored
    platform = "instagram" if instagram else "messenger"
    deliver(api, "meta", payloads.messenger_dm("aWdfZAG1f_72002", TEXT, instagram=instagram))
    # WHEN the customer unsends it
    deliver(api, "meta", payloads.messenger_unsend("aWdfZAG1f_72002", instagram=instagram))
    # THEN it keeps no copy of its text
    assert_erased_on_platform(read(api, keys, f"{platform}:aWdfZAG1f_72002"))


def test_a_facebook_comment_removed_on_facebook_is_erased_here(api, keys):
    # GIVEN a comment, stored
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT))
    # WHEN the Page feed tells of its removal (its author deleted it, or someone in Business Suite)
    deliver(api, "meta", payloads.page_comment(COMMENT, "", verb="remove"))
    # THEN it keeps no copy of its text
    message = read(api, keys, f"facebook:{COMMENT}")
    assert_erased_on_platform(message)
    assert [e["event"] for e in message["history"]][-2:] == ["removed", "erased"]


def test_a_generic_sources_remove_erases_and_its_hide_keeps_the_text(api, keys):
    # GIVEN two LinkedIn comments, stored through the generic webhook
    deliver(api, "generic", payloads.generic_message("urn:li:comment:72003", TEXT))
    deliver(api, "generic", payloads.generic_message("urn:li:comment:72004", TEXT))
    # WHEN the source says one was removed (deleted there) and the other hidden
    deliver(api, "generic", payloads.generic_message("urn:li:comment:72003", "", action="remove"))
    deliver(api, "generic", payloads.generic_message("urn:li:comment:72004", "", action="hide"))
    # THEN the removed one is erased, the hidden one keeps its text, hidden by the platform
    assert_erased_on_platform(read(api, keys, "linkedin:urn:li:comment:72003"))
    hidden = read(api, keys, "linkedin:urn:li:comment:72004")
    assert hidden["text"] == TEXT and "erased" not in hidden
    assert (hidden["status"], hidden["moderation"]["state"], hidden["moderation"]["by"]) == ("removed", "hidden",
                                                                                             "platform")


def test_a_comment_hidden_on_facebook_keeps_its_text(api, keys):
    # GIVEN a comment, then hidden in Business Suite (the feed's verb hide): it is still there
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT))
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT, verb="hide"))
    # THEN it left the queues and keeps its text, so it can be shown again
    message = read(api, keys, f"facebook:{COMMENT}")
    assert (message["status"], message["moderation"]["state"], message["text"]) == ("removed", "hidden", TEXT)
    assert "erased" not in message


def test_a_comment_hidden_then_deleted_on_facebook_is_erased(api, keys):
    # GIVEN a comment hidden on Facebook, then deleted there (by its author, or in Business Suite)
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT))
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT, verb="hide"))
    deliver(api, "meta", payloads.page_comment(COMMENT, "", verb="remove"))
    # THEN it says deleted by the platform, and keeps no copy of its text
    message = read(api, keys, f"facebook:{COMMENT}")
    assert (message["moderation"]["state"], message["moderation"]["by"]) == ("deleted", "platform")
    assert_erased_on_platform(message)


@pytest.mark.parametrize("hidden_first", [False, True], ids=["deleted", "hidden_then_deleted"])
def test_a_comment_deleted_from_here_keeps_its_text_when_facebook_tells_of_the_delete(api, keys, hidden_first):
    # GIVEN a comment a manager deleted from the inbox (hidden first, or not), with her reason
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT))
    message_id = f"facebook:{COMMENT}"
    if hidden_first:
        assert call(api, "POST", f"/messages/{message_id}/moderation", keys["manager"], {"action": "hide"})[0] == 200
    status, deleted = call(api, "POST", f"/messages/{message_id}/moderation", keys["manager"],
                           {"action": "delete", "reason": "doxxing: posted a phone number"})
    assert status == 200, deleted
    # WHEN Facebook's feed then tells of that delete (verb remove), twice (a redelivery)
    for _ in range(2):
        body = deliver(api, "meta", payloads.page_comment(COMMENT, "", verb="remove"))
        assert body["unchanged"] == 1
    # THEN the text is kept for the team's record of why, deleted by her
    message = read(api, keys, message_id)
    assert message["text"] == TEXT and "erased" not in message
    assert message["moderation"]["state"] == "deleted" and message["moderation"]["by"] != "platform"
    assert message["moderation"]["reason"] == "doxxing: posted a phone number"


def test_a_redelivered_deletion_changes_nothing(api, keys, table):
    # GIVEN a tweet deleted on X, erased here
    deliver(api, "x", payloads.x_tweet("1850000000000072005", "@brand " + TEXT, reply_to="1850000000000070000"))
    deliver(api, "x", x_delete("1850000000000072005"))
    before = snapshot(table)
    # WHEN X delivers the deletion again
    body = deliver(api, "x", x_delete("1850000000000072005"))
    # THEN it is answered unchanged and nothing is written: one removal, one erasure in its history
    assert (body["unchanged"], body["removed"], body["updated"]) == (1, 0, 0)
    assert snapshot(table) == before
    events = [e["event"] for e in read(api, keys, "x:1850000000000072005")["history"]]
    assert (events.count("removed"), events.count("erased")) == (1, 1)


def test_a_message_removed_before_this_version_is_erased_by_its_redelivered_deletion(api, keys):
    # GIVEN a comment removed on the platform before deletions erased (its text kept)
    from chalicelib.store.messages import mark_removed

    message_id = seed_message("104857600000001_900001_72006", "community", text=TEXT)
    mark_removed(message_id, datetime.now(timezone.utc), actor="platform")
    # WHEN Facebook delivers its removal again
    body = deliver(api, "meta", payloads.page_comment("104857600000001_900001_72006", "", verb="remove"))
    # THEN it is erased now (answered updated), removed once
    assert body["updated"] == 1
    message = read(api, keys, message_id)
    assert_erased_on_platform(message)
    assert [e["event"] for e in message["history"]].count("removed") == 1


def test_a_deletion_of_a_message_never_stored_stores_nothing(api, table):
    before = snapshot(table)
    body = deliver(api, "x", x_delete("1850000000000072007"))
    assert body["unknown"] == 1 and snapshot(table) == before


def test_a_deletion_before_its_message_stores_nothing_and_the_late_message_is_kept(api, keys, table):
    # GIVEN X's deletion delivered before the tweet itself (a redelivery out of order)
    deliver(api, "x", x_delete("1850000000000072008"))
    assert message_items(table) == []
    # WHEN the tweet comes after it
    deliver(api, "x", payloads.x_tweet("1850000000000072008", "@brand " + TEXT, reply_to="1850000000000070000"))
    # THEN it is stored as any message (known limit: nothing remembers a deletion of an unknown message, which
    # would keep an id of every deleted tweet X tells of; it stays until a customer erasure)
    message = read(api, keys, "x:1850000000000072008")
    assert message["status"] == "open" and "erased" not in message


def test_an_erased_message_is_not_given_its_text_back_by_a_late_edit(api, keys):
    # GIVEN a generic comment deleted at the source, erased here
    deliver(api, "generic", payloads.generic_message("urn:li:comment:72009", TEXT))
    deliver(api, "generic", payloads.generic_message("urn:li:comment:72009", "", action="remove"))
    # WHEN an edit of it arrives late
    deliver(api, "generic", payloads.generic_message("urn:li:comment:72009", TEXT + " (edited)", action="edit"))
    # THEN it stays erased
    assert_erased_on_platform(read(api, keys, "linkedin:urn:li:comment:72009"))


FEED_REMOVE = SHARED / "fixtures" / "webhooks" / "meta_page" / "restfb_feed_comment_remove.json"


@pytest.mark.skipif(not FEED_REMOVE.is_file(), reason=f"{FEED_REMOVE} is not present")
def test_the_captured_facebook_feed_remove_erases_the_comment_it_names(api, keys):
    # GIVEN the comment the captured payload names, stored (its id read from the fixture, never copied)
    raw = Path(FEED_REMOVE).read_bytes()
    comment_id = json.loads(raw)["entry"][0]["changes"][0]["value"]["comment_id"]
    message_id = seed_message(comment_id, "community", text=TEXT)
    # WHEN the captured removal is delivered, signed as Meta signs it
    response = post_webhook(api, "meta", raw, meta_headers(raw))
    # THEN that comment is erased
    assert response.status_code == 200, response.body
    assert_erased_on_platform(read(api, keys, message_id))


# a delete from here whose own webhook comes before it is recorded -------------------------------------------

def facebooks_webhook_first(monkeypatch, message_id: str) -> None:
    """Facebook's feed tells of the delete (verb remove) as soon as Graph has done it, before this request records
    it: the webhook handled between the platform's answer and the record."""
    from chalicelib import ingest, moderation
    from chalicelib.models import EventKind, InboundEvent

    on_platform = moderation._on_platform

    def webhook_first(stored, action, now):
        on_platform(stored, action, now)
        ingest.apply(InboundEvent(kind=EventKind.REMOVE, message_id=message_id), now)

    monkeypatch.setattr(moderation, "_on_platform", webhook_first)


def test_a_delete_from_here_whose_own_webhook_comes_first_is_hers_and_keeps_its_text(api, keys, monkeypatch):
    # GIVEN a comment, and Facebook telling of its delete before this request records it
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT))
    message_id = f"facebook:{COMMENT}"
    facebooks_webhook_first(monkeypatch, message_id)
    # WHEN a manager deletes it, saying why
    status, deleted = call(api, "POST", f"/messages/{message_id}/moderation", keys["manager"],
                           {"action": "delete", "reason": "doxxing"})
    # THEN the delete is recorded as hers, with her reason
    assert status == 200, deleted
    assert deleted["moderation"]["state"] == "deleted" and deleted["moderation"]["by"].startswith("manager:")
    assert deleted["moderation"]["reason"] == "doxxing"
    # AND the webhook, coming while her delete was under way (the message marked before Facebook was asked), erased
    # nothing: the text stays as the team's record of why; the mark is gone with the record
    assert deleted["text"] == TEXT and "erased" not in deleted
    from chalicelib.store.messages import get_message

    assert get_message(message_id).deleting_at is None


def test_a_deletion_long_after_a_delete_from_here_was_cut_off_erases(api, keys, monkeypatch):
    from datetime import datetime, timedelta, timezone

    from chalicelib.store import messages

    # GIVEN a comment marked by a delete from here that never finished (the function stopped after asking Facebook)
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT))
    message_id = f"facebook:{COMMENT}"
    messages.mark_deleting(message_id, datetime.now(timezone.utc) - timedelta(minutes=5))
    # WHEN Facebook tells of the deletion, minutes later
    deliver(api, "meta", payloads.page_comment(COMMENT, "", verb="remove"))
    # THEN the mark is stale: nothing here recorded a delete, so the deletion erases it
    assert_erased_on_platform(read(api, keys, message_id))


def test_a_delete_the_platform_refused_leaves_a_later_deletion_there_to_erase(api, keys, fake_platforms):
    # GIVEN a comment a manager tried to delete, which Facebook refused (this token may not delete it)
    deliver(api, "meta", payloads.page_comment(COMMENT, TEXT))
    message_id = f"facebook:{COMMENT}"
    fake_platforms.fail_next("graph_cannot_delete")
    status, body = call(api, "POST", f"/messages/{message_id}/moderation", keys["manager"], {"action": "delete"})
    assert status == 422, body
    from chalicelib.store.messages import get_message

    assert get_message(message_id).deleting_at is None  # the refused delete left no mark
    # WHEN its author deletes it on Facebook
    deliver(api, "meta", payloads.page_comment(COMMENT, "", verb="remove"))
    # THEN it is erased: that deletion was not made from here
    assert_erased_on_platform(read(api, keys, message_id))
