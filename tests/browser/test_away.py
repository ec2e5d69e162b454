"""The away message from the console (GET and PUT /away-message; managers and admins), against `make run`'s stack (see
conftest.py): a stack of its own whose business hours are closed almost all day (SLA_BUSINESS_HOURS="mon-sun
00:00-00:01", UTC), so that the away message fires; the session's stack keeps every hour as business time, which the
Stats view's SLA panel tests rely on.

GIVEN business hours set by the operator
WHEN a manager opens Away message (beside Saved replies), ticks "Send the away message outside business hours", writes
the default and Japanese texts and saves
THEN "Saved." and the new state are said, and after a reload the view shows them kept, with who saved it and when; in
Japanese the view reads in Japanese. A save by someone else meanwhile is said in words and the current one loads
without losing what was typed. A customer's direct message then gets the away message, which the conversation's
timeline reads as an automatic reply (in words, not only colour). Without business hours the view says to set them
above (its Business hours section, tests/browser/test_business_hours.py) and the tick cannot be turned on; an agent
has neither the link nor the view.
"""

from __future__ import annotations

import secrets
import time

import pytest

import payloads

from .conftest import (REQUIRED, WAIT, blank_console, cell, open_conversation, scroll_to, settled_in_customer_service,
                       staffed_stack, type_into)

try:
    import selenium  # noqa: F401
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

# open one minute a day: a message is almost surely outside business hours (the test allows for that minute)
CLOSED_ALMOST_ALWAYS = {"SLA_BUSINESS_HOURS": "mon-sun 00:00-00:01", "SLA_TIMEZONE": "UTC"}


@pytest.fixture(scope="module")
def away_stack(tmp_path_factory):
    """A stack of its own with business hours, and a manager's and an agent's key."""
    with staffed_stack(tmp_path_factory.mktemp("away-stack"), CLOSED_ALMOST_ALWAYS) as stack:
        yield stack


@pytest.fixture
def away_console(driver, away_stack, screens, request):
    yield from blank_console(driver, away_stack, screens, request)


def current(stack) -> dict:
    status, away = stack.call("GET", "/away-message")
    assert status == 200, away
    return away


def saved_by_someone_else(stack, text: str, enabled: bool = True) -> dict:
    """The admin saves the away message at the revision stored now, as a colleague in another tab would."""
    status, away = stack.call("PUT", "/away-message", body={
        "enabled": enabled, "text": text, "translations": {}, "rev": current(stack)["rev"]})
    assert status == 200, away
    return away


def test_a_manager_turns_the_away_message_on_and_finds_it_kept_after_a_reload(away_console, screenshot):
    console, stack = away_console, away_console.stack
    # GIVEN a manager: Away message is in the navigation, beside Saved replies (and Satisfaction survey)
    console.sign_in("manager")
    assert [e.text for e in console.all("nav a")] == [
        "Queues", "Stats", "Saved replies", "WhatsApp templates", "Away message", "Satisfaction survey", "Routing rules",
        "Blocked customers"]
    console.find('nav a[href="#/away"]').click()
    # THEN it shows the business hours as configured and whether it is open now, in words
    console.text_in("#away-business-hours", "Business hours: mon-sun 00:00-00:01")
    assert console.find("#away-open-now").text in ("Open now", "Closed now")
    assert console.find("#away-enabled").is_enabled()
    # WHEN she ticks the box, writes the default and Japanese texts and saves
    if not console.find("#away-enabled").is_selected():
        console.find("#away-enabled").click()
    text = f"Thanks {{{{customer_name}}}}, we are closed now and answer from 9:00. ({secrets.token_hex(3)})"
    type_into(console, "#away-text", text)
    console.text_in("#away-text-count", f"{len(text)} of 1,000 characters")
    type_into(console, "#away-ja", "お問い合わせありがとうございます。営業時間外のため、9時以降にご返信します。")
    type_into(console, "#away-en", "")
    console.find("#away-save").click()
    # THEN "Saved." and the new state are said, and the API keeps what she saved
    console.text_in("#notice", "Saved. The away message is on")
    console.text_in("#away-state", "The away message is on")
    stored = current(stack)
    assert stored["enabled"] is True and stored["text"] == text and stored["rev"] >= 1, stored
    assert stored["translations"].get("ja", "").startswith("お問い合わせ")
    assert not stored["translations"].get("en")  # left blank: English speakers get the default text
    # AND after a reload the view shows it kept, with when and by whom it was saved
    console.driver.refresh()
    console.wait(lambda d: console.find("#away-text").get_attribute("value") == text, "the saved text is shown")
    assert console.find("#away-enabled").is_selected()
    assert console.find("#away-ja").get_attribute("value").startswith("お問い合わせ")
    console.text_in("#away-saved-by", "Last saved")
    assert console.all("#away-saved-by time"), "when it was saved, as a time in the chosen zone"
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("away-message")
    # AND in Japanese the view reads in Japanese, keeping what it shows
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("label[for=away-enabled]", "営業時間外に不在メッセージを送る")
    console.text_in('nav a[href="#/away"]', "不在メッセージ")
    console.text_in("#away-business-hours", "営業時間: mon-sun 00:00-00:01")
    assert console.find("#away-text").get_attribute("value") == text


def test_a_save_meanwhile_is_said_and_the_current_one_loads_without_losing_what_was_typed(away_console):
    console, stack = away_console, away_console.stack
    # GIVEN the manager on the view, at the revision stored now
    console.sign_in("manager")
    console.driver.get(console.url + "#/away")
    console.find("#away-text")
    # WHEN a colleague saves meanwhile, then she saves her own text
    theirs = f"Closed for the night, back at 9 ({secrets.token_hex(3)})"
    saved_by_someone_else(stack, theirs)
    mine = f"We are away, {{{{customer_name}}}}: we answer tomorrow ({secrets.token_hex(3)})"
    type_into(console, "#away-text", mine)
    console.find("#away-save").click()
    # THEN she is told, in words, that someone else changed it; nothing of hers was saved and her text is still there
    console.text_in("#away-conflict", "Someone else saved the away message while you were editing")
    assert current(stack)["text"] == theirs
    assert console.find("#away-text").get_attribute("value") == mine
    # WHEN she loads the current one THEN the form shows theirs, and she can put hers back and save it over theirs
    console.find("#away-load-current").click()
    console.wait(lambda d: console.find("#away-text").get_attribute("value") == theirs, "theirs is loaded")
    console.find("#away-put-back").click()
    assert console.find("#away-text").get_attribute("value") == mine
    console.find("#away-save").click()
    console.text_in("#notice", "Saved.")
    assert current(stack)["text"] == mine


def test_a_text_too_long_or_missing_is_said_before_anything_is_sent(away_console):
    console, stack = away_console, away_console.stack
    console.sign_in("manager")
    console.driver.get(console.url + "#/away")
    before = current(stack)
    # WHEN the English text is over 1,000 characters THEN the counter and the refusal say by how much
    type_into(console, "#away-en", "x" * 1003)
    console.text_in("#away-en-count.over", "3 too many")
    console.find("#away-save").click()
    console.text_in("#away-error", "The English text is longer than 1,000 characters: shorten it by 3.")
    assert console.find("#away-en").get_attribute("aria-invalid") == "true"
    # WHEN it is on with no default text THEN she is asked to write one
    type_into(console, "#away-en", "")
    if not console.find("#away-enabled").is_selected():
        console.find("#away-enabled").click()
    type_into(console, "#away-text", "   ")
    console.find("#away-save").click()
    console.text_in("#away-error", "Write the default text before turning the away message on.")
    assert current(stack)["rev"] == before["rev"]
    # WHEN the Japanese text fits 1,000 characters but not an Instagram DM's 1,000 bytes THEN the counter says so, and
    # the API's refusal is said naming the text and the platform, the focus on that text
    type_into(console, "#away-text", "We are closed.")
    type_into(console, "#away-ja", "閉" * 400)
    console.text_in("#away-ja-count.over", "Too long for Instagram: 1,200 of 1,000 bytes.")
    console.find("#away-save").click()
    console.text_in("#away-error", "The Japanese text is too long for a direct message on Instagram")
    assert console.driver.execute_script("return document.activeElement.id") == "away-ja"
    assert current(stack)["rev"] == before["rev"]


def test_a_direct_message_outside_business_hours_gets_the_away_message_read_as_automatic(away_console, screenshot):
    console, stack = away_console, away_console.stack
    text = f"Closed for the night, we answer from 9:00 ({secrets.token_hex(3)})"
    saved_by_someone_else(stack, text)
    while time.gmtime().tm_hour == 0 and time.gmtime().tm_min <= 1:  # the one open minute: wait until it is closed
        time.sleep(5)
    # GIVEN a customer's Messenger DM, outside business hours
    question = f"Where is my refund for order {secrets.randbelow(10 ** 6)}? I was charged twice"
    stack.webhook(payloads.messenger_dm(f"m.away-{secrets.token_hex(6)}", question,
                                        sender=f"61{secrets.randbelow(10 ** 12):012d}"))
    conversation = settled_in_customer_service(stack, question)
    # THEN it gets the away message once, automatically, from the system
    deadline = time.monotonic() + WAIT
    while True:
        status, detail = stack.call("GET", f"/conversations/{conversation}")
        assert status == 200, detail
        automatic = [r for r in detail.get("replies", []) if r.get("automatic") is True]
        if automatic or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(automatic) == 1 and automatic[0]["by"] == "system:away", detail.get("replies")
    # WHEN a manager opens the conversation THEN the reply reads as automatic, in words where a name would be
    console.sign_in("manager")
    open_conversation(console, conversation)
    reply = console.text_in(".thread .reply.automatic", "Automatic reply (outside business hours)")
    assert "sent from here by" not in reply.text
    assert text in reply.text
    assert not console.low_contrast()
    scroll_to(console, ".thread .reply.automatic")
    screenshot("away-automatic-reply")
    # AND in Japanese it says so in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in(".thread .reply.automatic .automatic-label", "自動返信（営業時間外）")
    # AND the Stats' SLA panel counts the away messages sent, apart from first replies (still in Japanese)
    console.open("#/stats")
    console.text_in("#sla", "送信した不在メッセージ(返信には数えません)")
    assert int(cell(console, "#sla > table", "カスタマーサービス", "送信した不在メッセージ(返信には数えません)")) >= 1


def test_an_agent_has_no_away_message_view(away_console):
    console = away_console
    console.sign_in("agent")
    assert not console.all('nav a[href="#/away"]')
    console.driver.get(console.url + "#/away")
    console.wait(lambda d: d.execute_script("return location.hash") == "#/work", "#/away redirects an agent")


def test_without_business_hours_the_view_says_to_set_them_above_and_it_cannot_be_turned_on(console):
    # GIVEN the session's stack: no SLA_BUSINESS_HOURS, and none saved here (GET /business-hours: source none)
    console.sign_in("manager")
    console.driver.get(console.url + "#/away")
    console.text_in("#hours-source", "None set")
    notice = console.find("#away-no-hours")
    assert "set them above, under Business hours" in notice.text
    assert not console.all("#away-open-now")
    assert not console.find("#away-enabled").is_enabled()
    console.text_in("#away-state", "The away message is off")
