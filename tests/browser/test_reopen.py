"""Reopening a resolved conversation from the console, against `make run`'s stack (see conftest.py).

GIVEN an agent who resolved a conversation of her queue by mistake
WHEN she opens it, says why and presses Reopen
THEN it shows as open, held by nobody, with "Take it" offered and the reopen in its history; the API agrees.
"""

from __future__ import annotations

import secrets

import pytest

from .conftest import REQUIRED, conversation_in_customer_service

try:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)


OPEN_COUNT = '.queue-card[data-queue="customer_service"] .queue-open strong'


def open_in_customer_service(stack) -> int:
    status, overview = stack.call("GET", "/queues", key=stack.keys["agent"])
    assert status == 200, overview
    return next(q["open"] for q in overview["queues"] if q["queue"] == "customer_service")


def resolved_by_the_agent(stack, text: str, author_id: str, author: str) -> str:
    conversation = conversation_in_customer_service(stack, text, author_id, author)
    status, body = stack.call("POST", f"/conversations/{conversation}/claim", key=stack.keys["agent"])
    assert status == 200, body
    status, body = stack.call("POST", f"/conversations/{conversation}/resolve", key=stack.keys["agent"],
                              body={"note": "sent the label"})
    assert status == 200 and body["status"] == "resolved", body
    return conversation


def test_an_agent_reopens_a_conversation_she_resolved_by_mistake(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    # GIVEN a conversation of her queue that she resolved by mistake
    conversation = resolved_by_the_agent(stack, f"The return label {suffix} for order 7731 never came",
                                         "55577101", "Yui Mori")
    open_before = open_in_customer_service(stack)
    console.sign_in("agent")
    console.driver.get(console.url + f"#/work/customer_service/{conversation}")
    console.text_in(".detail-head", "Yui Mori")
    console.text_in(OPEN_COUNT, str(open_before))
    console.text_in(".detail-head .badge-resolved", "Resolved")
    # WHEN she says why and presses Reopen
    section = console.find("#reopen-section")
    assert "Reopen" in section.text and not console.all("#take")
    assert not console.low_contrast() and not console.unlabelled()
    screenshot("reopen-resolved")
    console.find("#reopen-reason").send_keys("resolved by mistake, the label was not sent")
    console.find("#reopen").click()
    # THEN it is said, and the conversation shows as open and held by nobody: Take it is offered, Reopen is not
    console.text_in("#notice", "Reopened")
    console.text_in(".detail-head .badge-open", "Open")
    console.find("#take")
    assert not console.all("#reopen-section")
    # AND the queue counts it among the open ones, and lists it there
    console.text_in(OPEN_COUNT, str(open_before + 1))
    # (searched for: the session's other tests leave enough open conversations to push it past the first page)
    console.find("#filter-q").send_keys(suffix, Keys.ENTER)
    console.text_in("#message-list", "Yui Mori")
    console.find("#filter-clear").click()
    # AND its history names the reopen and the reason she gave
    console.wait(lambda d: any("Reopened" in e.text and "the label was not sent" in e.text
                               for e in console.all("section.history li")), "the reopen in the history")
    screenshot("reopen-done")
    # AND the API agrees: open, unclaimed, its resolution off the conversation, the reopen in its history
    status, detail = stack.call("GET", f"/conversations/{conversation}", key=stack.keys["agent"])
    assert status == 200 and detail["status"] == "open" and "claimed_by" not in detail and "resolved_at" not in detail
    assert detail["history"][-1]["event"] == "reopened"
    assert detail["history"][-1]["details"] == {"reason": "resolved by mistake, the label was not sent"}
    assert detail["history"][-1]["actor"].startswith("agent:Aiko (agent)")


def test_reopened_meanwhile_by_someone_else_she_is_told_and_sees_it_as_it_is(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    conversation = resolved_by_the_agent(stack, f"My coupon {suffix} did not apply to order 7732",
                                         "55577102", "Sora Ueda")
    console.sign_in("agent")
    console.driver.get(console.url + f"#/work/customer_service/{conversation}")
    console.find("#reopen-section")
    # GIVEN a manager reopens it while she has it on screen
    status, body = stack.call("POST", f"/conversations/{conversation}/reopen", key=stack.keys["manager"])
    assert status == 200, body
    # WHEN she presses Reopen too THEN she is told why not, and it is shown as it is now: open
    console.find("#reopen").click()
    console.text_in("#alert", "someone reopened it in the meantime")
    console.text_in(".detail-head .badge-open", "Open")
    assert not console.all("#reopen-section")


def test_in_japanese_the_reopen_section_speaks_japanese(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    conversation = resolved_by_the_agent(stack, f"注文 {suffix} の返品ラベルが届きません", "55577103", "森 唯")
    console.sign_in("agent")
    Select(console.find("#language")).select_by_value("ja")
    console.driver.get(console.url + f"#/work/customer_service/{conversation}")
    console.text_in("#reopen-section", "再オープン")
    assert console.find("#reopen").text == "再オープンする"
    assert not console.unlabelled()
    Select(console.find("#language")).select_by_value("en")
