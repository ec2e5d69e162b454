"""Bulk reply and the rating filter in the console, against `make run`'s stack (see conftest.py).

GIVEN three direct-message conversations in customer_service about one outage: two held by the agent, one by the
manager (a bulk reply answers direct messages only)
WHEN the agent ticks the three, writes one statement in "Reply to selected", ticks "Resolve each after its reply is
sent", presses Send and confirms "Send this reply to 3 customers?"
THEN the two she holds are answered (once each, on the platform) and resolved, the third is named with why it was not
answered, in words, in English and Japanese; after the platform asked to slow down, "Send again" sends the same reply
under the same idempotency key to those not sent yet, and answers no one twice.

GIVEN resolved direct-message conversations the customers rated in the satisfaction survey (a stack of its own: the
survey is on there)
WHEN a manager lists the resolved ones and chooses "2 stars or less"
THEN the list is those rated 2 or less, the filter is kept like the others, and it is offered under Resolved only.
"""

from __future__ import annotations

import json
import secrets
import time

import pytest

import payloads

from .conftest import (REQUIRED, WAIT, blank_console, conversation_in_customer_service, settled_in_customer_service,
                       staffed_stack)

try:
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)


def row_ids(console) -> list[str]:
    return sorted(e.get_attribute("data-id") for e in console.all("#message-list a.row"))


def claim(stack, conversation: str, role: str) -> None:
    status, body = stack.call("POST", f"/conversations/{conversation}/claim", key=stack.keys[role], body={})
    assert status == 200, body


def conversation(stack, conversation_id: str) -> dict:
    status, body = stack.call("GET", f"/conversations/{conversation_id}")
    assert status == 200, body
    return body


def sends_of(stack, text: str) -> list[str]:
    """The customers the fake Graph API was asked to send this text in a direct message (and took), by their id."""
    return sorted(r["body"]["recipient"]["id"] for r in stack.fake_requests()
                  if isinstance(r["body"], dict) and isinstance(r["body"].get("message"), dict)
                  and r["body"]["message"].get("text") == text and 200 <= r["status"] < 300)


def outage_wave(stack, suffix: str, n: int) -> dict[str, str]:
    """`n` new direct messages about one outage in customer_service (a bulk reply answers direct messages only), each
    from a customer of their own: their conversation ids, with each one's customer id."""
    wave = {}
    for k in range(n):
        text, sender = f"The app is down {suffix}-{k}, I cannot log in to my account", f"61{secrets.randbelow(10 ** 11):011d}"
        stack.webhook(payloads.messenger_dm(f"m.outage-{suffix}-{k}", text, sender=sender))
        wave[settled_in_customer_service(stack, text)] = sender
    return wave


def claimed_list_of_the_wave(console, suffix: str, ids: list[str]) -> None:
    """The claimed list searched for the wave's words, as the filters kept in the tab make it (read once: a tick
    made while a list is read again would be lost with it)."""
    console.driver.execute_script("sessionStorage.setItem('st.status', 'claimed');"
                                  "sessionStorage.setItem('st.list.filters', JSON.stringify({q: arguments[0]}));",
                                  f"down {suffix}")
    console.open("#/work/customer_service")
    console.driver.refresh()
    console.wait(lambda d: row_ids(console) == sorted(ids), "the list is the wave's conversations")


def tick(console, ids: list[str]) -> None:
    for n, conversation_id in enumerate(ids, start=1):
        console.find(f'#message-list input.pick[data-id="{conversation_id}"]').click()
        console.wait(lambda d, n=n: len(console.all("#message-list input.pick:checked")) == n, f"{n} ticked")


def open_composer(console) -> None:
    """"Reply to selected" opened (it stays open while the page shows the list). The bulk bar is drawn again when the
    list or the ticks change, so an element found a moment ago may be gone: look again until it is open."""
    from selenium.common.exceptions import StaleElementReferenceException

    def opened(_) -> bool:
        try:
            if console.find("#bulk-reply").get_attribute("open"):
                return True
            console.find("#bulk-reply-open").click()
        except StaleElementReferenceException:
            pass
        return False

    console.wait(opened, "Reply to selected opened")


def compose(console, text: str, resolve: bool) -> None:
    open_composer(console)
    box = console.find("#bulk-reply-text")
    box.clear()
    box.send_keys(text)
    if console.find("#bulk-reply-resolve").is_selected() != resolve:
        console.find("#bulk-reply-resolve").click()


def test_an_agent_answers_the_outage_wave_she_holds_and_is_told_why_the_other_was_not(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    customers = outage_wave(stack, suffix, 3)
    ids = list(customers)
    held, other = ids[:2], ids[2]
    # GIVEN two of them held by the agent and the third by the manager
    for conversation_id in held:
        claim(stack, conversation_id, "agent")
    claim(stack, other, "manager")
    statement = f"We know about the outage {suffix} and are fixing it. Sorry for the trouble!"
    console.sign_in("agent")
    claimed_list_of_the_wave(console, suffix, ids)
    # WHEN she ticks the three and writes the statement, resolving each once answered
    tick(console, ids)
    compose(console, statement, resolve=True)
    console.text_in("#bulk-reply-count", f"{len(statement)} of 4,000 characters")
    console.text_in("#bulk-reply-hint", "{{customer_name}} becomes each customer's name.")
    # AND presses Send THEN she is asked first, in words, and nothing is sent yet
    console.find("#bulk-reply-send").click()
    console.text_in("#bulk-reply-question", "Send this reply to 3 customers?")
    confirm = console.find("#bulk-reply-confirm")
    assert confirm.text == "Send to 3 customers" and console.driver.switch_to.active_element == confirm
    assert sends_of(stack, statement) == []
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("agent-bulk-reply")
    # WHEN she confirms
    confirm.click()
    # THEN the two she holds are answered and resolved, and the third is named with why, in words
    console.text_in("#notice", "Replied to 2 conversations and resolved them.")
    refused = console.text_in("#bulk-status", "1 was not answered:").text
    assert other in refused and customers[other] in refused, refused
    assert "Not sent: someone else holds this conversation" in refused, refused
    assert [conversation(stack, i)["status"] for i in ids] == ["resolved", "resolved", "claimed"]
    assert all([r["text"] for r in conversation(stack, i)["replies"]] == [statement] for i in held)
    assert conversation(stack, other)["replies"] == []
    # AND the platform was asked twice: once for each customer whose conversation she held
    assert sends_of(stack, statement) == sorted(customers[i] for i in held)
    assert not console.all("#bulk-reply-again")  # nothing is left that sending again would do
    # AND the Japanese console says the same in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.wait(lambda d: row_ids(console) == [other], "the wave's one left claimed")
    tick(console, [other])
    open_composer(console)
    console.text_in("#bulk-reply", "選択した会話に返信")
    console.text_in("label[for=bulk-reply-resolve]", "返信を送信したら、それぞれ解決にする")
    console.find("#bulk-reply-send").click()
    console.text_in("#bulk-reply-question", "この返信を 1 人のお客様に送信しますか？")
    console.find("#bulk-reply-confirm").click()
    console.text_in("#bulk-status", "1 件には返信できませんでした：")
    console.text_in("#bulk-status li", "未送信：別の人がこの会話を担当しているか、担当期限が切れています。")
    assert sends_of(stack, statement) == sorted(customers[i] for i in held)


def test_after_a_slow_down_send_again_uses_the_same_key_and_answers_no_one_twice(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    customers = outage_wave(stack, suffix, 3)
    ids = list(customers)
    for conversation_id in ids:
        claim(stack, conversation_id, "agent")
    statement = f"Update {suffix}: logins work again. Thank you for your patience."
    console.sign_in("agent")
    claimed_list_of_the_wave(console, suffix, ids)
    order = [e.get_attribute("data-id") for e in console.all("#message-list a.row")]  # the order they are sent in
    # GIVEN the platform asks to slow down at the second reply
    tick(console, ids)
    compose(console, statement, resolve=False)
    console.find("#bulk-reply-send").click()
    console.driver.get_log("performance")
    stack.fake_fail("graph_rate_limit")
    # WHEN she confirms
    console.find("#bulk-reply-confirm").click()
    # THEN none was answered (the first call met the slow-down), the rest were not tried, and she may send again
    console.text_in("#bulk-status", "3 were not answered:")
    console.text_in("#bulk-status li", "Not sent: the platform asks to slow down.")
    assert sum("Not tried yet: send again." in li.text for li in console.all("#bulk-status li")) == 2
    again = console.find("#bulk-reply-again")
    assert again.text == "Send again to the 3 not sent yet"
    first_key = sent_keys(console)
    assert len(first_key) == 1 and next(iter(first_key)).startswith("bulk-"), first_key
    # WHEN she sends again
    again.click()
    # THEN the three are answered, once each, under the same key
    console.text_in("#notice", "Replied to 3 conversations.")
    assert sent_keys(console) == first_key
    assert sends_of(stack, statement) == sorted(customers[i] for i in order)
    assert all([r["id"] for r in conversation(stack, i)["replies"]] == list(first_key) for i in ids)
    assert [conversation(stack, i)["status"] for i in ids] == ["claimed"] * 3  # no resolve asked
    # AND sending the same again answers no one twice
    console.wait(lambda d: row_ids(console) == sorted(ids), "the list is the three of the wave")
    tick(console, ids)
    open_composer(console)
    assert console.find("#bulk-reply-text").get_attribute("value") == ""  # all answered: the next starts afresh


def sent_keys(console) -> set[str]:
    """The idempotency keys of the bulk replies the page sent since the performance log was last read."""
    keys = set()
    for entry in console.driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        request = message.get("params", {}).get("request", {})
        if message["method"] == "Network.requestWillBeSent" and request.get("url", "").endswith("/conversations/bulk") \
                and request.get("postData"):
            keys.add(json.loads(request["postData"])["idempotency_key"])
    return keys


def test_the_history_says_a_conversation_was_closed_because_its_customers_data_was_erased(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    author_id = f"8{secrets.randbelow(10 ** 9):09d}"
    erased = conversation_in_customer_service(stack, f"My parcel {suffix} is lost, please help", author_id,
                                              "Erin Erased")
    # GIVEN the customer's data erased by the admin: their open conversation is closed
    for _ in range(20):  # the API cuts an erasure to its time budget: sent again until it says done
        status, body = stack.call("POST", "/erasures", body={"platform": "facebook", "author_id": author_id})
        assert status == 200, body
        if body["done"]:
            break
    detail = conversation(stack, erased)
    assert detail["status"] == "resolved" and detail["resolution_reason"] == "erased", detail
    # WHEN a manager reads it THEN the history says why in words, in English and Japanese
    console.sign_in("manager")
    console.open(f"#/work/customer_service/{erased.replace(':', '%3A')}")
    history = console.text_in(".history", "closed: the customer's data was erased").text
    assert "reason: erased" not in history, history
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in(".history", "終了：お客様のデータが消去されました")


# the rating filter: a stack of its own, with the satisfaction survey on ------------------------------------------

SURVEY = "How did we do? Reply with a number from 1 (poor) to 5 (great)."


@pytest.fixture(scope="module")
def survey_stack(tmp_path_factory):
    with staffed_stack(tmp_path_factory.mktemp("survey-stack")) as stack:
        status, body = stack.call("PUT", "/satisfaction-survey", key=stack.keys["manager"],
                                  body={"enabled": True, "text": SURVEY, "translations": {}, "rev": 0})
        assert status == 200, body
        yield stack


@pytest.fixture
def survey_console(driver, survey_stack, screens, request):
    yield from blank_console(driver, survey_stack, screens, request)


def rated(stack, text: str, score: str) -> str:
    """A Messenger DM in customer_service, answered and resolved by the manager, then rated `score` by its customer
    once the survey reached them; by its id."""
    sender = f"61{secrets.randbelow(10 ** 12):012d}"
    stack.webhook(payloads.messenger_dm(f"m.rated-{secrets.token_hex(6)}", text, sender=sender))
    conversation_id = settled_in_customer_service(stack, text)
    manager = stack.keys["manager"]
    status, body = stack.call("POST", f"/conversations/{conversation_id}/replies", key=manager,
                              body={"text": "Sorted: your refund is on its way.", "idempotency_key": secrets.token_hex(8)})
    assert status in (200, 201), body
    status, body = stack.call("POST", f"/conversations/{conversation_id}/resolve", key=manager, body={})
    assert status == 200, body
    deadline = time.monotonic() + WAIT
    while not (conversation(stack, conversation_id).get("satisfaction") or {}).get("survey_sent_at"):
        assert time.monotonic() < deadline, f"the survey never went to {conversation_id}"
        time.sleep(0.2)
    stack.webhook(payloads.messenger_dm(f"m.rating-{secrets.token_hex(6)}", score, sender=sender))
    deadline = time.monotonic() + WAIT
    while (conversation(stack, conversation_id).get("satisfaction") or {}).get("score") is None:
        assert time.monotonic() < deadline, f"{score!r} never read as {conversation_id}'s rating"
        time.sleep(0.2)
    return conversation_id


def test_a_manager_lists_the_unhappy_customers_with_the_rating_filter(survey_console):
    stack = survey_console.stack
    console = survey_console
    suffix = secrets.token_hex(3)
    # GIVEN two resolved conversations, one rated 2 and one rated 5
    unhappy = rated(stack, f"Refund {suffix} for order 5510 please, charged twice", "2")
    happy = rated(stack, f"Refund {suffix} for order 5511 please, charged twice", "5")
    assert conversation(stack, unhappy)["satisfaction"]["score"] == 2
    assert conversation(stack, happy)["status"] == "resolved"
    console.sign_in("manager")
    console.open("#/work/customer_service")
    # THEN under Open there is no rating filter
    console.find("#list-status")
    assert not console.all("#filter-rating")
    # WHEN she lists the resolved ones
    Select(console.find("#list-status")).select_by_value("resolved")
    console.wait(lambda d: {unhappy, happy} <= set(row_ids(console)), "both resolved ones are listed")
    rating = Select(console.find("#filter-rating"))
    assert [o.text for o in rating.options] == ["Any rating", "1 star", "2 stars or less", "3 stars or less",
                                                "4 stars or less"]
    # AND chooses "2 stars or less"
    console.driver.get_log("performance")
    rating.select_by_visible_text("2 stars or less")
    # THEN the list is the unhappy one, read with max_rating=2
    console.wait(lambda d: row_ids(console) == [unhappy], "the list of those rated 2 or less")
    assert any("max_rating=2" in url and "status=resolved" in url for url in console.requested_urls())
    assert console.find("#filter-clear").is_displayed()
    # AND the filter is kept like the others: a refresh shows the same list
    assert json.loads(console.storage()["session"]["st.list.filters"])["max_rating"] == "2"
    console.driver.refresh()
    console.wait(lambda d: row_ids(console) == [unhappy], "the filtered list after a refresh")
    assert Select(console.find("#filter-rating")).first_selected_option.text == "2 stars or less"
    # WHEN she goes back to Open THEN the rating is neither offered nor asked for
    console.driver.get_log("performance")
    Select(console.find("#list-status")).select_by_value("open")
    console.wait(lambda d: not console.all("#filter-rating"), "no rating filter under Open")
    console.wait(lambda d: any("status=open" in url for url in console.requested_urls()), "the open list is read")
    assert not any("max_rating" in url for url in console.requested_urls())
    # AND in Japanese it reads in Japanese
    Select(console.find("#list-status")).select_by_value("resolved")
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.wait(lambda d: row_ids(console) == [unhappy], "the filtered list in Japanese")
    assert [o.text for o in Select(console.find("#filter-rating")).options] == [
        "すべての評価", "評価 1", "評価 2 以下", "評価 3 以下", "評価 4 以下"]


def test_a_saved_reply_is_the_starting_text_with_each_customers_name_left_to_fill_in(survey_console):
    stack = survey_console.stack
    console = survey_console
    suffix = secrets.token_hex(3)
    # GIVEN a saved reply for customer service, and an open conversation there
    status, body = stack.call("POST", "/saved-replies", key=stack.keys["manager"], body={
        "title": f"Outage {suffix}", "text": "Hi {{customer_name}}, we know about the outage and are fixing it.",
        "queues": ["customer_service"]})
    assert status == 201, body
    text = f"Nothing loads {suffix}, is the site down?"
    stack.webhook(payloads.messenger_dm(f"m.saved-{secrets.token_hex(6)}", text,
                                        sender=f"61{secrets.randbelow(10 ** 12):012d}"))
    conversation_id = settled_in_customer_service(stack, text)
    console.sign_in("manager")
    console.driver.execute_script("sessionStorage.setItem('st.list.filters', JSON.stringify({q: arguments[0]}));",
                                  f"loads {suffix}")
    console.open("#/work/customer_service")
    console.driver.refresh()
    console.wait(lambda d: row_ids(console) == [conversation_id], "the list is that conversation")
    # WHEN she ticks it and picks the saved reply in "Reply to selected"
    tick(console, [conversation_id])
    open_composer(console)
    Select(console.find("#bulk-saved-reply")).select_by_visible_text(f"Outage {suffix}")
    # THEN it is the text to send, the name left for the API to fill in for each customer
    console.wait(lambda d: console.find("#bulk-reply-text").get_attribute("value")
                 == "Hi {{customer_name}}, we know about the outage and are fixing it.", "the saved reply's text")
    console.text_in("#notice", f"Inserted “Outage {suffix}”.")
