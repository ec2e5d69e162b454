"""Meta adapter: Page mentions and Instagram comments without an author (issue 15, item 7); accounts, the
brand's own messages (outbound) and delivery reports (issue 15, items 1 and 3)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest

import payloads
from chalicelib.models import INBOUND, OUTBOUND, UNKNOWN_AUTHOR, Channel, EventKind
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


# --- accounts and the brand's own comments ----------------------------------------------------------------

PAGE, IG, CUSTOMER = payloads.PAGE_ID, payloads.IG_ACCOUNT_ID, payloads.MESSENGER_CUSTOMER
POST = "104857600000001_900001"


def test_given_a_customers_page_comment_then_it_names_the_page_as_its_account():
    [event] = parse(payloads.page_comment("900001_701", "Where is my order?")).events
    assert (event.message.account, event.message.direction) == (PAGE, INBOUND)


def test_given_the_pages_reply_to_a_comment_then_an_outbound_reply_in_that_comments_thread():
    # GIVEN the Page answering a customer's comment (its `from` is the Page)
    payload = payloads.page_comment("900001_702", "Sorry! We sent a new one.", author_id=PAGE, parent_id="900001_701")
    batch = parse(payload)
    # THEN it is a new outbound message, written by the Page, under the comment it answers
    [event] = batch.events
    assert batch.skipped == [] and event.kind is EventKind.NEW
    message = event.message
    assert (message.id, message.direction, message.account) == ("facebook:900001_702", OUTBOUND, PAGE)
    assert (message.author.id, message.author.name) == (PAGE, "Dana Reyes")
    assert message.channel is Channel.REPLY
    assert (message.parent_id, message.thread_id) == ("facebook:900001_701", f"facebook:{POST}")


def test_given_the_pages_own_post_then_it_is_still_skipped_as_own_post():
    payload = payloads.page_comment("", "Our spring menu is out!", author_id=PAGE)
    value = payload["entry"][0]["changes"][0]["value"]
    value.update(item="status", comment_id=None, parent_id=None)
    batch = parse(payload)
    assert batch.events == [] and [(s.reason, s.ref) for s in batch.skipped] == [("own_post", POST)]


def test_given_instagram_comments_then_the_account_is_the_instagram_account_and_its_own_reply_is_outbound():
    customer = parse(payloads.instagram_comment("17990000000000601", "Do you ship to Osaka?")).events[0].message
    assert (customer.account, customer.direction, customer.author.id) == (IG, INBOUND, "17800000000099")
    # GIVEN the account replying to that comment
    own = payloads.instagram_comment("17990000000000602", "@kaito.t yes, in 2 days", author_id=IG)
    own["entry"][0]["changes"][0]["value"]["parent_id"] = "17990000000000601"
    [event] = parse(own).events
    message = event.message
    assert (message.direction, message.author.id, message.account, message.channel) == (OUTBOUND, IG, IG,
                                                                                        Channel.REPLY)
    assert (message.parent_id, message.thread_id) == ("instagram:17990000000000601", customer.thread_id)


# --- DMs: both directions in one conversation -----------------------------------------------------------


@pytest.mark.parametrize("instagram", [False, True], ids=["messenger", "instagram"])
def test_given_a_dm_and_its_echo_then_both_are_in_one_conversation_of_account_and_customer(instagram):
    platform, account = ("instagram", IG) if instagram else ("messenger", PAGE)
    # GIVEN a customer's DM and the brand's answer to it, as Meta echoes it (sender: the brand)
    inbound = parse(payloads.messenger_dm("m_801", "My parcel is lost", instagram=instagram)).events[0].message
    batch = parse(payloads.messenger_dm("m_802", "We are on it", echo=True, instagram=instagram, reply_to="m_801"))
    [event] = batch.events
    echo = event.message
    # THEN the echo is a new outbound message under its platform mid (what the Send API answered)
    assert batch.skipped == [] and event.kind is EventKind.NEW and event.message_id == f"{platform}:m_802"
    assert (echo.direction, echo.author.id, echo.account, echo.channel) == (OUTBOUND, account, account,
                                                                            Channel.DIRECT_MESSAGE)
    assert echo.parent_id == f"{platform}:m_801"
    # AND the customer's message and the echo share one conversation
    assert (inbound.direction, inbound.author.id, inbound.account) == (INBOUND, CUSTOMER, account)
    assert inbound.conversation_id == echo.conversation_id == f"{platform}:{account}:{CUSTOMER}"


def test_given_a_message_edit_then_it_keeps_the_conversation_of_the_message():
    payload = payloads.messenger_dm("m_803", "unused")
    messaging = payload["entry"][0]["messaging"][0]
    del messaging["message"]
    messaging["message_edit"] = {"mid": "m_803", "text": "My parcel is lost (order 12)", "num_edit": 1}
    [event] = parse(payload).events
    assert event.kind is EventKind.EDIT and event.message.conversation_id == f"messenger:{PAGE}:{CUSTOMER}"
    assert (event.message.account, event.message.direction) == (PAGE, INBOUND)


def test_given_an_echo_without_text_then_it_is_skipped_as_no_text():
    payload = payloads.messenger_dm("m_804", "", echo=True)
    del payload["entry"][0]["messaging"][0]["message"]["text"]
    batch = parse(payload)
    assert batch.events == [] and [(s.reason, s.ref) for s in batch.skipped] == [("no_text", "m_804")]


def test_given_an_echo_naming_the_page_as_recipient_then_the_page_is_still_the_account():
    # GIVEN an echo whose sender and recipient are the other way round (as some captured samples have them)
    payload = payloads.messenger_dm("m_805", "We are on it", echo=True)
    messaging = payload["entry"][0]["messaging"][0]
    messaging["sender"], messaging["recipient"] = messaging["recipient"], messaging["sender"]
    [event] = parse(payload).events
    # THEN the Page (the entry) is the brand's side, the other party the customer
    assert (event.message.account, event.message.author.id) == (PAGE, PAGE)
    assert event.message.conversation_id == f"messenger:{PAGE}:{CUSTOMER}"


# --- deletions on the platform ------------------------------------------------------------------------------

@pytest.mark.parametrize("instagram", [False, True], ids=["messenger", "instagram"])
def test_given_a_dm_unsent_then_the_removal_names_the_message_it_was_stored_as(instagram):
    # GIVEN a customer's DM as it was stored
    [stored] = parse(payloads.messenger_dm("m_811", "My address is 1-2-3 Chuo", instagram=instagram)).events
    # WHEN the customer unsends it (the same mid, `is_deleted`, no text)
    batch = parse(payloads.messenger_unsend("m_811", instagram=instagram))
    # THEN one removal of that very message (erased in tests/test_platform_deletions.py), nothing skipped
    assert batch.skipped == []
    assert [(e.kind, e.message_id, e.message) for e in batch.events] == [(EventKind.REMOVE, stored.message_id, None)]


@pytest.mark.parametrize("item, native", [("comment", "comment_id"), ("status", "post_id")])
def test_given_a_feed_remove_then_the_removal_names_the_comment_or_post(item, native):
    # GIVEN a comment (or a visitor's post) removed from the Page's feed
    payload = payloads.page_comment("104857600000001_900001_71011", "", verb="remove")
    value = payload["entry"][0]["changes"][0]["value"]
    value["item"] = item
    if item != "comment":
        value["comment_id"] = None
    # THEN one removal under the id its `add` was stored with
    [event] = parse(payload).events
    assert (event.kind, event.message_id) == (EventKind.REMOVE, f"facebook:{value[native]}")


def test_given_an_instagram_comment_change_then_no_removal_can_come_of_it():
    # Instagram's `comments` field tells of new comments only (no verb, nothing on a deletion): an Instagram comment
    # deleted on Instagram stays here until a customer erasure. A change without text is skipped, never a removal.
    payload = payloads.instagram_comment("17890000000071012", "")
    batch = parse(payload)
    assert batch.events == [] and [s.reason for s in batch.skipped] == ["no_text"]


def test_given_a_whatsapp_message_of_a_type_the_cloud_api_does_not_support_then_skipped_not_a_removal():
    # WhatsApp's Cloud API documents no webhook for a message its sender deleted; `unsupported` is a message of
    # its own (its own wamid), never a reference to one stored here
    payload = payloads.whatsapp_text("wamid.HBgU1", "unused")
    payload["entry"][0]["changes"][0]["value"]["messages"][0] = {
        "from": "819012345678", "id": "wamid.HBgU1", "timestamp": "1714965200", "type": "unsupported",
        "errors": [{"code": 131051, "title": "Message type unknown"}], "unsupported": {"type": "unknown"}}
    batch = parse(payload)
    assert batch.events == [] and [(s.reason, s.ref) for s in batch.skipped] == [("unsupported", "wamid.HBgU1")]


@pytest.mark.parametrize("tap", [
    {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "choice:1", "title": "4 ★★★★"}}},
    {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "4 ★★★★"}}},
    {"type": "button", "button": {"payload": "p1", "text": "4 ★★★★"}},
])
def test_given_a_whatsapp_tap_on_a_list_or_a_button_then_a_message_of_its_title(tap):
    payload = payloads.whatsapp_text("wamid.HBgT1", "unused")
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    raw.pop("text")
    raw.update(tap)
    [event] = parse(payload).events
    assert event.message.text == "4 ★★★★" and event.message.id == "whatsapp:wamid.HBgT1"


def test_given_a_whatsapp_interactive_message_without_a_title_then_skipped_as_no_text():
    payload = payloads.whatsapp_text("wamid.HBgT2", "unused")
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    raw.pop("text")
    raw.update({"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}}})
    batch = parse(payload)
    assert batch.events == [] and [s.reason for s in batch.skipped] == ["no_text"]


# --- delivery reports ---------------------------------------------------------------------------------------

WATERMARK = 1714965199000  # ms
REPORTED = datetime.fromtimestamp(1714965200.123, tz=timezone.utc)


def test_given_a_messenger_delivery_with_mids_then_one_delivered_status_per_mid():
    batch = parse(payloads.messenger_receipt("delivery", mids=["m_901", "m_902"], watermark=WATERMARK))
    assert batch.skipped == []
    assert [(e.kind, e.message_id) for e in batch.events] == [(EventKind.STATUS, "messenger:m_901"),
                                                              (EventKind.STATUS, "messenger:m_902")]
    status = batch.events[0].status
    assert batch.events[0].message is None
    assert (status.platform, status.state, status.platform_message_id) == ("messenger", "delivered", "m_901")
    assert (status.account, status.recipient_id) == (PAGE, CUSTOMER)
    assert status.at == REPORTED
    assert status.watermark == datetime.fromtimestamp(WATERMARK / 1000, tz=timezone.utc)


def test_given_a_messenger_read_then_one_read_status_up_to_its_watermark_with_an_id_of_its_own():
    [event] = parse(payloads.messenger_receipt("read", watermark=WATERMARK)).events
    assert event.kind is EventKind.STATUS
    assert event.message_id == f"messenger:read:{CUSTOMER}:{WATERMARK}"
    status = event.status
    assert (status.state, status.platform_message_id, status.account, status.recipient_id) == (
        "read", None, PAGE, CUSTOMER)
    assert status.watermark == datetime.fromtimestamp(WATERMARK / 1000, tz=timezone.utc)
    # a later read report is another event
    [later] = parse(payloads.messenger_receipt("read", watermark=WATERMARK + 5000)).events
    assert later.message_id != event.message_id


def test_given_a_delivery_without_mids_then_a_watermark_status():
    [event] = parse(payloads.messenger_receipt("delivery", watermark=WATERMARK)).events
    assert event.message_id == f"messenger:delivery:{CUSTOMER}:{WATERMARK}"
    assert (event.status.state, event.status.platform_message_id) == ("delivered", None)


def test_given_an_instagram_read_naming_the_message_then_a_read_status_of_that_message():
    payload = payloads.messenger_receipt("read")
    payload["object"] = "instagram"
    payload["entry"][0]["id"] = payload["entry"][0]["messaging"][0]["recipient"]["id"] = IG
    payload["entry"][0]["messaging"][0]["read"] = {"mid": "aWdfZAG1f"}
    [event] = parse(payload).events
    assert event.message_id == "instagram:aWdfZAG1f"
    assert (event.status.platform, event.status.state, event.status.account) == ("instagram", "read", IG)


@pytest.mark.parametrize("kind", ["read", "delivery"])
def test_given_a_receipt_with_neither_mid_nor_watermark_then_the_skip_says_so(kind):
    batch = parse(payloads.messenger_receipt(kind))
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [(f"{kind}_without_mid_or_watermark", CUSTOMER)]


def test_given_a_reaction_then_it_is_skipped_by_name():
    payload = payloads.messenger_receipt("reaction")
    batch = parse(payload)
    assert batch.events == [] and [s.reason for s in batch.skipped] == ["reaction"]


# --- WhatsApp ----------------------------------------------------------------------------------------------------


def test_given_a_whatsapp_message_then_its_account_is_the_phone_number_id():
    [event] = parse(payloads.whatsapp_text("wamid.HBg1", "Is my table booked?")).events
    message = event.message
    assert (message.account, message.direction) == (payloads.WHATSAPP_PHONE_NUMBER_ID, INBOUND)
    assert message.conversation_id == "whatsapp:819012345678"


@pytest.mark.parametrize("state", ["sent", "delivered", "read"])
def test_given_a_whatsapp_status_then_a_status_event_of_that_wamid(state):
    [event] = parse(payloads.whatsapp_status("wamid.HBg2", state)).events
    assert (event.kind, event.message_id, event.message) == (EventKind.STATUS, "whatsapp:wamid.HBg2", None)
    status = event.status
    assert (status.platform, status.state, status.platform_message_id) == ("whatsapp", state, "wamid.HBg2")
    assert (status.account, status.recipient_id) == (payloads.WHATSAPP_PHONE_NUMBER_ID, "819012345678")
    assert status.at == datetime.fromtimestamp(1714965200, tz=timezone.utc)
    assert (status.watermark, status.error) == (None, None)


def test_given_a_failed_whatsapp_status_then_the_error_has_the_platforms_code_and_title():
    error = {"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
             "error_data": {"details": "Message failed to send because more than 24 hours have passed"}}
    [event] = parse(payloads.whatsapp_status("wamid.HBg3", "failed", error=error)).events
    assert (event.status.state, event.status.error) == ("failed", "131047: Re-engagement message")


def test_given_a_whatsapp_status_meta_does_not_document_as_a_delivery_state_then_skipped_with_it():
    batch = parse(payloads.whatsapp_status("wamid.HBg4", "deleted"))
    assert batch.events == [] and [(s.reason, s.ref) for s in batch.skipped] == [("unsupported_status:deleted",
                                                                                    "wamid.HBg4")]


def test_given_a_whatsapp_status_without_an_id_then_skipped_as_no_message_id():
    payload = payloads.whatsapp_status("wamid.HBg5")
    del payload["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    batch = parse(payload)
    assert batch.events == [] and [s.reason for s in batch.skipped] == ["no_message_id"]


def test_statuses_and_echoes_stay_in_the_meta_id_space(api, table):
    # GIVEN delivery reports and an echo, through the signed webhook
    for payload in (payloads.whatsapp_status("wamid.HBg6", "read"), payloads.messenger_receipt("read", watermark=1),
                    payloads.messenger_dm("m_806", "We are on it", echo=True)):
        response = post_webhook(api, "meta", dumps(payload))
        # THEN they are accepted (the store of replies and statuses is not wired yet: counted as unknown)
        assert response.status_code == 200, response.body
        body = json.loads(response.body)
        assert (body["received"], body["unknown"], body["skipped"]) == (1, 1, [])
    assert message_items(table) == []
