"""Meta adapter: Page mention changes and Instagram comments without an author (issue 15, item 7)."""

from __future__ import annotations

import copy
import json

import pytest

import payloads
from chalicelib.models import UNKNOWN_AUTHOR, Channel, EventKind
from chalicelib.platforms import WebhookRequest, get_adapter
from support import SHARED, dumps, message_items, post_webhook

adapter = get_adapter("meta")


def parse(payload: dict):
    return adapter.parse(WebhookRequest(body=dumps(payload), headers={}))


def page_mention(text: str | None, *, with_from: bool = False, sender: dict | None = None) -> dict:
    # GIVEN a Page `mention` change for a comment that mentions the Page, carrying the comment's message
    payload = payloads.page_comment("900001_501", text or "")
    change = payload["entry"][0]["changes"][0]
    change["field"] = "mention"
    if text is None:
        del change["value"]["message"]
    if not with_from:
        del change["value"]["from"]
    change["value"].update(sender or {})
    return payload


def test_given_a_page_mention_with_its_message_and_no_from_then_it_is_triaged_author_unknown():
    batch = parse(page_mention("@Brand my refund never came through"))
    [event] = batch.events
    assert batch.skipped == []
    assert event.kind is EventKind.NEW and event.message.channel is Channel.MENTION
    assert event.message.text == "@Brand my refund never came through"
    assert event.message.author.id == UNKNOWN_AUTHOR


def test_given_a_page_mention_naming_its_sender_then_the_sender_is_the_author():
    batch = parse(page_mention("@Brand hello", sender={"sender_id": "5550777", "sender_name": "Rui"}))
    assert (batch.events[0].message.author.id, batch.events[0].message.author.name) == ("5550777", "Rui")
    assert parse(page_mention("@Brand hello", with_from=True)).events[0].message.author.id == "5550001"


def test_given_a_page_mention_without_a_message_then_the_skip_says_no_text():
    batch = parse(page_mention(None))
    assert batch.events == [] and [s.reason for s in batch.skipped] == ["no_text"]


def test_given_an_instagram_comment_without_from_then_it_is_triaged_author_unknown():
    # GIVEN what the App Dashboard's Test button sends: a comment with text and no `from`
    payload = payloads.instagram_comment("17990000000000501", "Is this in stock in size M?")
    del payload["entry"][0]["changes"][0]["value"]["from"]
    [event] = parse(payload).events
    assert event.message.author.id == UNKNOWN_AUTHOR and event.message.text == "Is this in stock in size M?"
    # while a comment without text is still skipped, for that reason
    payload["entry"][0]["changes"][0]["value"]["text"] = " "
    assert [s.reason for s in parse(payload).skipped] == ["no_text"]


FIXTURE = SHARED / "fixtures" / "webhooks" / "instagram" / "restfb_comment_2021.json"


@pytest.mark.skipif(not FIXTURE.is_file(), reason=f"{FIXTURE} is not present")
def test_the_captured_instagram_comment_without_from_is_triaged():
    payload = json.loads(FIXTURE.read_text())
    stripped = copy.deepcopy(payload)
    del stripped["entry"][0]["changes"][0]["value"]["from"]
    [event] = parse(stripped).events
    assert event.message.text == payload["entry"][0]["changes"][0]["value"]["text"]
    assert event.message.author.id == UNKNOWN_AUTHOR


def test_unknown_authors_are_never_counted_as_repeated_contact(api, table):
    # GIVEN four authorless mentions in a row (the repeated-contact bonus needs 3 from one author)
    for i in range(4):
        payload = page_mention(f"@Brand question number {i} about my order")
        payload["entry"][0]["changes"][0]["value"]["comment_id"] = f"900001_6{i}"
        assert json.loads(post_webhook(api, "meta", dumps(payload)).body)["stored"] == 1
    # THEN none of them got the bonus meant for one person writing again and again
    for item in message_items(table):
        assert item["author"]["id"] == UNKNOWN_AUTHOR
        assert not any("repeat" in reason for reason in item["priority_reasons"]), item["priority_reasons"]
