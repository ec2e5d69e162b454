"""Private replies in the console, against `make run`'s stack (see conftest.py; its fake of the platforms' send APIs
answers Meta's Private Replies once per comment).

GIVEN a Facebook Page comment and a Messenger DM, each claimed by the agent
WHEN she answers the comment with "Reply privately (DM)" ticked, then tries a second private reply
THEN the comment's reply is sent as a private reply and shows a "Private" badge, the second is refused in words,
and a DM offers no such box; in English and Japanese.
"""

from __future__ import annotations

import secrets

import pytest

import payloads

from .conftest import REQUIRED, conversation_in_customer_service, settled_in_customer_service

try:
    import selenium  # noqa: F401
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)


def claimed_by_agent(stack, conversation: str) -> None:
    status, body = stack.call("POST", f"/conversations/{conversation}/claim", key=stack.keys["agent"], body={})
    assert status == 200, body


def dm_in_customer_service(stack, text: str) -> str:
    stack.webhook(payloads.messenger_dm(f"m.private-{secrets.token_hex(6)}", text,
                                        sender=f"61{secrets.randbelow(10 ** 12):012d}"))
    return settled_in_customer_service(stack, text)


def open_conversation(console, conversation: str) -> None:
    console.driver.get(console.url + f"#/work/customer_service/{conversation.replace(':', '%3A')}")
    console.find("#reply-text")


def agent_on_a_claimed_comment(console, text: str, author_id: str, author: str) -> str:
    """A new page comment in customer_service, claimed by the agent, open in her console."""
    comment = conversation_in_customer_service(console.stack, text, author_id, author)
    claimed_by_agent(console.stack, comment)
    console.sign_in("agent")
    open_conversation(console, comment)
    return comment


def test_a_comment_is_answered_privately_once_and_shows_private(console, screenshot):
    stack = console.stack
    # GIVEN the agent on the claimed comment: the reply box offers to reply privately
    comment = agent_on_a_claimed_comment(console, "Order 8812 still not here, can you check my account?", "5550777",
                                         "Ren Private")
    box = console.find("#reply-private")
    assert not box.is_selected()
    console.text_in("label[for=reply-private]", "Reply privately (DM)")
    console.text_in("#reply-private-hint", "once per comment, within 7 days")
    # WHEN she ticks it and sends
    console.find("#reply-text").send_keys("Sorry! Please send us your order number here.")
    box.click()
    console.find("#send-reply").click()
    # THEN it is sent as a private reply, and the timeline marks it Private
    console.text_in("#notice", "Reply sent.")
    sent = console.text_in(".thread .reply", "Sorry! Please send us your order number here.")
    assert "Private" in sent.text
    status, detail = stack.call("GET", f"/conversations/{comment}")
    [reply] = detail["replies"]
    assert reply["private"] is True and reply["status"] == "sent", reply
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("agent-private-reply")
    # WHEN she tries a second private reply to the same comment THEN she is told, in words, and nothing is sent
    console.find("#reply-text").send_keys("One more thing")
    console.find("#reply-private").click()
    console.find("#send-reply").click()
    console.text_in("#reply-status", "already has its private reply")
    assert len(stack.call("GET", f"/conversations/{comment}")[1]["replies"]) == 1
    # AND in Japanese the box and the badge read in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("label[for=reply-private]", "非公開で返信（DM）")
    console.text_in(".thread .reply .badge-private", "非公開")


def test_a_dm_offers_no_private_reply(console):
    stack = console.stack
    dm = dm_in_customer_service(stack, "Where is my refund for order 8813? I was charged twice")
    claimed_by_agent(stack, dm)
    console.sign_in("agent")
    open_conversation(console, dm)
    console.find("#send-reply")
    assert console.all("#reply-private") == []


def test_the_reply_box_counts_what_is_left_as_the_platform_counts_and_never_sends_too_long(console):
    stack = console.stack
    # GIVEN the agent on a Facebook comment: a public reply takes 8,000 characters, a private one 2,000
    comment = agent_on_a_claimed_comment(console, "Refund for order 8814 please, the parcel came broken", "5550778",
                                         "Kai Length")
    console.text_in("#reply-count", "8,000 left of 8,000 characters")
    # WHEN she writes 2,001 characters and ticks "Reply privately"
    console.find("#reply-text").send_keys("x" * 2001)
    console.text_in("#reply-count", "5,999 left of 8,000 characters")
    console.find("#reply-private").click()
    # THEN the count says it is over the private limit, and Send says so instead of sending
    console.text_in("#reply-count.over", "1 over the limit of 2,000 characters")
    console.find("#send-reply").click()
    console.text_in("#reply-status", "shorten it by 1")
    assert stack.call("GET", f"/conversations/{comment}")[1]["replies"] == []
    # AND in Japanese the count reads in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("#reply-count", "上限 8,000 文字")
