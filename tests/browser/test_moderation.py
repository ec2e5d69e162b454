"""Moderation from the console: hide, show again or delete a customer's comment on its platform, against `make run`'s
stack (see conftest.py; its fake of the platforms' APIs hides and deletes comments).

GIVEN Facebook comments in the agent's queue (a spam comment, a thread with an abusive reply, a spam wave)
WHEN the agent hides the spam comment and undoes it, a manager deletes the abusive reply in two steps, and the agent
hides the spam wave with "Hide selected"
THEN the platform is asked, the conversation leaves the queue (and comes back) or the reply shows as deleted in its
thread, the refusals are listed in words; an agent is never offered Delete, a DM nothing; in English and Japanese.
"""

from __future__ import annotations

import secrets
import time

import pytest

import payloads

from .conftest import REQUIRED, WAIT, article, conversation_in_customer_service, open_conversation
from .test_private_reply import dm_in_customer_service

try:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

POST = "104857600000001_900001"  # conversation_in_customer_service's post


def spam(stack, text: str, author: str = "Crypto Kings 77") -> tuple[str, str]:
    """A spam comment, its own conversation in customer_service: (its id, the comment's id on Facebook)."""
    native = f"{POST}_{secrets.randbelow(10 ** 12)}"
    return conversation_in_customer_service(stack, text, "5559901", author, comment_id=native), native


def thread_with_a_reply(stack, text: str, reply: str) -> tuple[str, str]:
    """A customer's comment in customer_service and someone's reply under it, in its conversation: (head, reply)."""
    head_native = f"{POST}_{secrets.randbelow(10 ** 12)}"
    head = conversation_in_customer_service(stack, text, "5559902", "Kenji Abe", comment_id=head_native)
    payload = payloads.page_comment(f"{POST}_{secrets.randbelow(10 ** 12)}", reply, author_id="5559903",
                                    parent_id=head_native)
    payload["entry"][0]["changes"][0]["value"]["from"]["name"] = "Troll Account"
    stack.webhook(payload)
    deadline = time.monotonic() + WAIT
    while True:
        status, conversation = stack.call("GET", f"/conversations/{head}")
        assert status == 200, conversation
        later = [m["id"] for m in conversation["messages"] if m["text"] == reply]
        if later:
            return head, later[0]
        assert time.monotonic() < deadline, "the reply never joined its conversation"
        time.sleep(0.1)


def test_an_agent_hides_a_spam_comment_it_leaves_the_queue_and_undo_brings_it_back(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    conversation, native = spam(stack, f"Earn $500 a day from home {suffix}, DM me for the crypto secret")
    # GIVEN the agent on the spam comment, open in her queue (not claimed: hiding needs no claim)
    console.sign_in("agent")
    open_conversation(console, conversation)
    console.text_in("#message-list", "Crypto Kings 77")
    hide = console.find(f'{article(conversation)} button[data-action="hide"]')
    assert hide.text == "Hide" and hide.get_attribute("aria-label") == "Hide the comment by Crypto Kings 77 on Facebook"
    # WHEN she presses Hide
    hide.click()
    # THEN it is said in words, with Undo (focused), and the list no longer shows it
    console.text_in("#moderated", "Hidden on Facebook. It left the queue.")
    undo = console.find("#moderation-undo")
    assert undo.text == "Undo" and console.driver.switch_to.active_element == undo
    console.wait(lambda d: not [e for e in console.all("#message-list a.row") if e.get_attribute("data-id") == conversation],
                 "the hidden conversation still listed")
    # AND the comment is still readable to the team, dimmed, with who hid it
    shown = console.find(article(conversation))
    assert "moderated" in shown.get_attribute("class") and f"{suffix}" in shown.text
    console.text_in(f"{article(conversation)} .badge-hidden", "Hidden by Aiko (agent)")
    assert not console.all(f'{article(conversation)} button[data-action="unhide"]')  # Undo is the one way back here
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("moderation-hidden")
    # AND Facebook was asked to hide that comment; the conversation no longer reads, the message does
    asked = [r for r in stack.fake_requests() if native in r["path"]]
    assert asked and asked[-1]["method"] == "POST", asked
    assert stack.call("GET", f"/conversations/{conversation}", key=stack.keys["agent"])[0] == 404
    status, message = stack.call("GET", f"/messages/{conversation}", key=stack.keys["agent"])
    assert status == 200 and message["status"] == "removed" and message["moderation"]["state"] == "hidden"
    # AND "Show: Hidden or removed" lists it, and opened from there (or a refresh, a link) it is shown hidden, with Undo
    console.driver.get(console.url + "#/work/customer_service")
    Select(console.find("#list-status")).select_by_value("removed")
    row = console.text_in("#message-list a.row", "Crypto Kings 77")
    assert "Hidden by Aiko (agent)" in row.text
    row.click()
    console.text_in("#moderated", "Hidden on Facebook. It left the queue.")
    Select(console.find("#list-status")).select_by_value("open")
    # WHEN she presses Undo
    console.find("#moderation-undo").click()
    # THEN it is shown again: back in her queue, open, and Hide is offered again
    console.text_in("#notice", "Shown again on Facebook. It is back in its queue.")
    console.text_in(".detail-head .badge-open", "Open")
    console.find(f'{article(conversation)} button[data-action="hide"]')
    console.text_in("#message-list", "Crypto Kings 77")
    status, detail = stack.call("GET", f"/conversations/{conversation}", key=stack.keys["agent"])
    assert status == 200 and detail["status"] == "open" and "moderation" not in detail["messages"][0]


def test_a_manager_deletes_a_later_reply_in_two_steps_and_the_conversation_stays(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    head, reply = thread_with_a_reply(stack, f"My parcel {suffix} is a week late, where is it?",
                                      f"shut up idiot nobody cares {suffix}")
    # GIVEN the manager on the conversation: the reply offers Hide and Delete
    console.sign_in("manager")
    open_conversation(console, head)
    tools = f"{article(reply)} .moderation"
    assert [b.text for b in console.all(f"{tools} button")] == ["Hide", "Delete"]
    # WHEN she presses Delete THEN she is asked first (it cannot be undone), and nothing is sent
    console.find(f'{tools} button[data-action="delete"]').click()
    console.text_in(f"{tools} .delete-warning", "This cannot be undone.")
    confirm = console.find(f'{tools} button[data-action="confirm-delete"]')
    assert console.driver.switch_to.active_element == confirm and confirm.text == "Delete for good"
    assert "moderation" not in stack.call("GET", f"/messages/{reply}")[1]
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("moderation-delete-confirm")
    # WHEN she says why and confirms
    console.find(f"{tools} input.delete-reason").send_keys("abusive")
    confirm.click()
    # THEN the reply shows as deleted, by her, with the reason, and offers nothing more
    console.text_in("#notice", "Deleted on Facebook.")
    console.text_in(f"{article(reply)} .badge-deleted", "Deleted by Mana (manager)")
    console.text_in(f"{article(reply)} .moderation-reason", "Reason: abusive")
    assert not console.all(f"{article(reply)} .moderation button")
    # AND the conversation stays, open, its first message as it was
    console.text_in(".detail-head .badge-open", "Open")
    console.find(f'{article(head)} button[data-action="hide"]')
    screenshot("moderation-deleted-reply")
    status, message = stack.call("GET", f"/messages/{reply}")
    assert status == 200 and message["moderation"]["state"] == "deleted" and message["moderation"]["reason"] == "abusive"
    assert stack.call("GET", f"/conversations/{head}")[1]["status"] == "open"
    assert any(r["method"] == "DELETE" and reply.split(":")[1] in r["path"] for r in stack.fake_requests())


def test_an_agent_is_offered_hide_never_delete_and_a_dm_offers_nothing(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    head, reply = thread_with_a_reply(stack, f"Is the store open on Sunday {suffix}?", f"spam link {suffix}")
    console.sign_in("agent")
    open_conversation(console, head)
    console.find(f"{article(reply)} .moderation")
    for message in (head, reply):
        assert [b.text for b in console.all(f"{article(message)} .moderation button")] == ["Hide"]
    assert not console.all('button[data-action="delete"]')
    # a Messenger DM cannot be moderated: nothing is offered
    dm = dm_in_customer_service(stack, f"Where is my refund {suffix}? I was charged twice")
    open_conversation(console, dm)
    assert not console.all(".moderation")
    # (resolved, so that the next test claiming the queue's top conversation does not get this DM)
    status, body = stack.call("POST", "/conversations/bulk", body={"action": "resolve", "conversation_ids": [dm]})
    assert status == 200 and body["done"] == 1, body


def test_hide_selected_hides_a_spam_wave_and_lists_what_was_not_tried(console, screenshot):
    stack = console.stack
    token = f"wave{secrets.token_hex(3)}"
    wave = [spam(stack, f"Free followers {token} number {n}, click my profile", author="Follow Bot")[0] for n in range(3)]
    # GIVEN the agent's list narrowed to the spam wave, all ticked
    console.sign_in("agent")
    console.driver.get(console.url + "#/work/customer_service")
    console.find("#filter-q").send_keys(token, Keys.ENTER)
    console.wait(lambda d: len(console.all("#message-list a.row")) == 3, "the three spam comments listed")
    console.find("#bulk-all").click()
    # WHEN Facebook asks to slow down at the first one
    stack.fake_fail("graph_rate_limit")
    try:
        console.find("#bulk-hide").click()
        # THEN none is hidden, and each is listed with its reason: the rest were not tried, to send again
        console.text_in("#bulk-status", "3 could not be changed")
        console.text_in("#bulk-status li", "The platform asks to slow down.")
        assert sum("Not tried: send again." in li.text for li in console.all("#bulk-status li")) == 2
        assert not console.low_contrast()
        screenshot("moderation-bulk-refused")
    finally:
        stack.fake_reset()  # a failure left queued would meet the next test's reply
    # WHEN she sends them again
    console.wait(lambda d: len(console.all("#message-list a.row")) == 3, "the three still listed")
    console.find("#bulk-all").click()
    console.find("#bulk-hide").click()
    # THEN all three are hidden on Facebook and leave the queue
    console.text_in("#notice", "3 conversations hidden on their platforms and out of the queue.")
    console.wait(lambda d: not console.all("#message-list a.row"), "the hidden spam still listed")
    for conversation in wave:
        assert stack.call("GET", f"/messages/{conversation}")[1]["moderation"]["state"] == "hidden"
    # WHEN she finds them under "Hidden or removed" and unhides them all (a hide made by mistake)
    Select(console.find("#list-status")).select_by_value("removed")
    console.wait(lambda d: len(console.all("#message-list a.row")) == 3, "the three hidden ones listed")
    assert not console.all("#bulk-hide")  # what is hidden is not offered Hide again
    console.find("#bulk-all").click()
    console.find("#bulk-unhide").click()
    # THEN all three are shown again on Facebook and are back in the queue
    console.text_in("#notice", "3 conversations shown again on their platforms and back in the queue.")
    for conversation in wave:
        detail = stack.call("GET", f"/messages/{conversation}")[1]
        assert detail["status"] == "open" and "moderation" not in detail, detail
    # (resolved, so the next tests' "claim next" does not meet them)
    status, body = stack.call("POST", "/conversations/bulk", body={"action": "resolve", "conversation_ids": wave})
    assert status == 200 and body["done"] == 3, body


def test_in_japanese_moderation_speaks_japanese(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    head, reply = thread_with_a_reply(stack, f"注文 {suffix} のキャンセル方法を教えてください", f"荒らしの返信 {suffix}")
    console.sign_in("manager")
    Select(console.find("#language")).select_by_value("ja")
    open_conversation(console, head)
    tools = f"{article(reply)} .moderation"
    assert [b.text for b in console.all(f"{tools} button")] == ["非表示にする", "削除"]
    console.find(f'{tools} button[data-action="delete"]').click()
    console.text_in(f"{tools} .delete-warning", "元に戻すことはできません")
    assert console.find(f'{tools} button[data-action="confirm-delete"]').text == "削除を確定"
    console.text_in(f"{tools} label", "理由(任意、履歴に残ります)")
    assert not console.unlabelled()
    screenshot("moderation-delete-confirm-ja")
    console.find(f'{tools} button[data-action="cancel"]').click()
    assert console.driver.switch_to.active_element == console.find(f'{tools} button[data-action="delete"]')
    # the bulk bar offers Hide selected
    console.find("#message-list input.pick").click()
    assert console.find("#bulk-hide").text == "選択した会話を非表示"
    console.find("#message-list input.pick").click()
    # hiding the first message says so in Japanese, with Undo
    console.find(f'{article(head)} button[data-action="hide"]').click()
    console.text_in("#moderated", "Facebookで非表示にしました。キューから外れました。")
    assert console.find("#moderation-undo").text == "元に戻す"
    console.text_in(f"{article(head)} .badge-hidden", "Mana (manager) が非表示に設定")
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("moderation-hidden-ja")
    console.find("#moderation-undo").click()
    console.text_in("#notice", "Facebookで再表示しました。キューに戻りました。")
    Select(console.find("#language")).select_by_value("en")
