"""The customer's other conversations in the console, against `make run`'s stack (see conftest.py).

GIVEN customers of their own (ids no other test uses) with several conversations, in and out of the agent's queue
WHEN an agent or a manager opens one of them
THEN "Other conversations from this customer" lists the others she may read, newest first, with their date in the
chosen time zone, queue, state, first words and tags; a click opens one; "Show more" pages; nothing when none.
"""

from __future__ import annotations

import secrets
from urllib.parse import unquote

import pytest

import payloads

from .conftest import REQUIRED, conversation_in_customer_service

try:
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)


def comment_id() -> str:
    return f"104857600000001_{secrets.randbelow(10 ** 12)}"


def listed(console) -> list[str]:
    return [e.get_attribute("data-id") for e in console.all("#customer-list > li")]


def in_zone(console, iso: str, locale: str = "en-US") -> str:
    """A time as the console writes it (fmtDateTime) in the zone chosen at the top of the page."""
    return console.driver.execute_script(
        "return new Intl.DateTimeFormat(arguments[1], {dateStyle: 'medium', timeStyle: 'short',"
        " timeZone: document.getElementById('time-zone').value}).format(new Date(arguments[0]));", iso, locale)


def shown(console, css: str) -> bool:
    """Whether an element is there and visible (console.find waits for a visible one)."""
    return any(e.is_displayed() for e in console.driver.find_elements("css selector", css))


def customer_read(console, conversation: str, seen: list[str]) -> bool:
    seen += [unquote(url) for url in console.requested_urls()]  # each reading empties the browser's log
    return any(f"/conversations/{conversation}/customer" in url for url in seen)


def test_agent_sees_the_customers_other_conversations_in_her_queue_and_opens_one(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    author_id = f"7{secrets.randbelow(10 ** 9):09d}"
    # GIVEN a customer's two conversations in customer_service (the older one tagged) and one in stance
    older = conversation_in_customer_service(stack, f"Order {suffix}-1 arrived broken, I want a refund", author_id,
                                             "Rin Sato")
    status, body = stack.call("POST", f"/conversations/{older}/tags", body={"add": [f"refund-{suffix}"]})
    assert status == 200, body
    stance = conversation_in_customer_service(stack, f"Your ad {suffix} was offensive, I'm done with you", author_id,
                                              "Rin Sato")
    status, body = stack.call("POST", "/conversations/bulk", body={
        "action": "reroute", "conversation_ids": [stance], "queue": "stance", "reason": "about the brand"})
    assert status == 200 and body["done"] == 1, body
    newer = conversation_in_customer_service(stack, f"Order {suffix}-2 has not shipped either", author_id, "Rin Sato")
    # WHEN the agent of customer_service opens the newer one
    console.sign_in("agent")
    console.driver.get(console.url + f"#/work/customer_service/{newer}")
    console.text_in(".detail-head", "Rin Sato")
    # THEN the older customer_service one is listed, in words: date, queue, state, first words, tags; not the stance one
    console.text_in("#customer-title", "Other conversations from this customer")
    console.wait(lambda d: listed(console) == [older], "only the conversation in her queue")
    _, detail = stack.call("GET", f"/conversations/{older}")
    row = console.find(f'#customer-list li[data-id="{older}"]')
    assert in_zone(console, detail["received_at"]) in row.text
    assert "Customer service" in row.text and "Open" in row.text
    assert f"Order {suffix}-1 arrived broken, I want a refund" in row.text
    assert [e.text for e in row.find_elements("css selector", ".tag-name")] == [f"refund-{suffix}"]
    assert not shown(console, "#customer-more")
    assert not console.low_contrast() and not console.unlabelled()
    console.driver.execute_script("document.getElementById('customer').scrollIntoView()")
    screenshot("agent-customer")
    # AND in Japanese, in Tokyo time
    Select(console.find("#time-zone")).select_by_value("Asia/Tokyo")
    Select(console.find("#language")).select_by_value("ja")
    console.text_in("#customer-title", "このお客様のほかの会話")
    console.wait(lambda d: in_zone(console, detail["received_at"], "ja-JP")
                 in console.find(f'#customer-list li[data-id="{older}"]').text, "the date in Tokyo, in Japanese")
    assert "カスタマーサービス" in console.find(f'#customer-list li[data-id="{older}"]').text
    console.driver.execute_script("document.getElementById('customer-title').scrollIntoView()")
    screenshot("agent-customer-ja")
    Select(console.find("#language")).select_by_value("en")

    # WHEN she clicks it THEN it opens, and lists the newer one as the customer's other conversation
    console.find(f'#customer-list li[data-id="{older}"] a').click()
    console.wait(lambda d: unquote(d.current_url).endswith(f"#/work/customer_service/{older}"), "the older one is open")
    console.wait(lambda d: listed(console) == [newer], "the newer one, from the older one")
    console.text_in(".thread", f"Order {suffix}-1 arrived broken")


def test_a_customer_with_one_conversation_shows_no_section(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    only = conversation_in_customer_service(stack, f"First time writing {suffix}: my card was declined",
                                            f"8{secrets.randbelow(10 ** 9):09d}", "Kai Mori")
    console.sign_in("agent")
    console.driver.get_log("performance")
    console.driver.get(console.url + f"#/work/customer_service/{only}")
    console.text_in(".detail-head", "Kai Mori")
    seen: list[str] = []
    console.wait(lambda d: customer_read(console, only, seen), "the console asked for the customer's conversations")
    console.wait(lambda d: console.all("#customer:not([aria-busy])"), "the customer's conversations were read")
    assert not shown(console, "#customer")
    assert listed(console) == []


def test_manager_pages_through_a_busy_customer_with_show_more(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    author_id = f"9{secrets.randbelow(10 ** 9):09d}"
    # GIVEN a customer who opened 28 conversations (a spam wave, in whatever queue the model chose)
    for n in range(28):
        payload = payloads.page_comment(comment_id(), f"Spam wave {suffix} number {n}", author_id=author_id)
        payload["entry"][0]["changes"][0]["value"]["from"]["name"] = "Wave Sender"
        stack.webhook(payload)
    newest = stack.find(f"Spam wave {suffix} number 27")["id"]
    # WHEN the manager opens the newest
    console.sign_in("manager")
    console.driver.get(console.url + f"#/work/customer_service/{newest}")
    console.text_in(".detail-head", "Wave Sender")
    # THEN a first page of 25 is listed, newest first, with "Show more"
    console.wait(lambda d: len(listed(console)) == 25, "the first page")
    assert "number 26" in console.find("#customer-list > li:first-child").text
    more = console.find("#customer-more")
    assert more.is_displayed()
    # WHEN she shows more THEN the last two follow, the focus on the first of them, and the button goes
    more.click()
    console.wait(lambda d: len(listed(console)) == 27, "every other conversation")
    assert "number 0" in console.find("#customer-list > li:last-child").text
    assert len(set(listed(console))) == 27 and newest not in listed(console)
    console.wait(lambda d: not shown(console, "#customer-more"), "no more to show")
    focused = console.driver.execute_script("return document.activeElement.closest('li')?.dataset.id")
    assert focused == listed(console)[25]
