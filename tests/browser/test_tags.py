"""Tags in the console, against `make run`'s stack (see conftest.py): on the conversation (chips, add, remove), in
the list (chips that filter it), in the bulk bar and in the history, in words.

GIVEN conversations of a customer of their own in customer_service, and tags no other test uses
WHEN an agent or a manager tags them from the conversation, the list or the bulk bar
THEN the API keeps exactly those tags, the console shows what it answered, and the list can be narrowed by one.
"""

from __future__ import annotations

import json
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


def customer_service(stack, n: int, text: str, author_id: str, author: str) -> str:
    return conversation_in_customer_service(stack, text, author_id, author, f"104857600000001_{990000 + n}")


def tags_of(stack, conversation: str) -> list[str]:
    status, body = stack.call("GET", f"/conversations/{conversation}")
    assert status == 200, body
    return body.get("tags", [])


def row_ids(console) -> list[str]:
    return sorted(e.get_attribute("data-id") for e in console.all("#message-list a.row"))


def row_tags(console, conversation: str) -> list[str]:
    return [e.text for e in console.all(f'#message-list .row-box[data-id="{conversation}"] .tag-chip')]


def chip_names(console) -> list[str]:
    return [e.text for e in console.all("#tag-list .tag-name")]


def patterns(schema) -> set[str]:
    """Every `pattern` in a JSON schema (the API's contract)."""
    if isinstance(schema, dict):
        found = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return found.union(*(patterns(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(patterns(value) for value in schema))
    return set()


def focused(console, attribute: str = "id") -> str | None:
    return console.driver.execute_script(
        f"const el = document.activeElement; return el && (el.getAttribute('{attribute}'))")


def test_agent_tags_a_conversation_filters_the_list_by_its_chip_and_removes_the_tags(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    refund, vip = f"refund-{suffix}", f"vip-{suffix}"
    # GIVEN two open conversations of one customer in her queue, which she has not claimed
    first = customer_service(stack, 1, f"Parcel {suffix} arrived crushed, I want a refund for order 8120", "44400001",
                             "Noa Kimura")
    second = customer_service(stack, 2, f"And order 8121 ({suffix}) has not shipped at all", "44400001", "Noa Kimura")
    console.sign_in("agent")
    console.driver.get(console.url + f"#/work/customer_service/{first}")
    console.text_in(".detail-head", "Noa Kimura")
    console.text_in("#tag-list", "No tags yet.")
    console.find("#from-author").click()
    console.wait(lambda d: row_ids(console) == sorted([first, second]), "the list is that customer's conversations")
    # WHEN she types two tags, in capitals and separated by a comma, and presses Enter
    console.find("#tag-input").send_keys(f"Refund-{suffix.upper()}, VIP-{suffix}", Keys.ENTER)
    # THEN the conversation has them, in the one spelling the API keeps, as chips she can remove
    console.text_in("#notice", f"Added the tags {refund}, {vip}.")
    console.wait(lambda d: chip_names(console) == [refund, vip], "the chips are the API's answer")
    assert tags_of(stack, first) == [refund, vip] and tags_of(stack, second) == []
    assert [e.get_attribute("aria-label") for e in console.all("#tag-list .tag-remove")] == [
        f"Remove the tag {refund}", f"Remove the tag {vip}"]
    assert console.find("#tag-input").get_attribute("value") == "" and focused(console) == "tag-input"
    # AND the conversation is still open and nobody's (tagging is not working on it)
    assert stack.call("GET", f"/conversations/{first}")[1]["status"] == "open"
    # AND its row in the list shows them too, without the list being read again
    console.wait(lambda d: row_tags(console, first) == [refund, vip], "the row's chips")
    assert row_tags(console, second) == []
    assert not console.low_contrast() and not console.unlabelled()
    screenshot("agent-tags")

    # WHEN she types something that is not a tag (33 characters) THEN she is told so in words, and nothing is sent
    console.find("#tag-input").send_keys(f"late {'x' * 33}", Keys.ENTER)
    console.text_in("#alert", f"This is not a tag: {'x' * 33}.")
    assert tags_of(stack, first) == [refund, vip]
    console.find("#tag-input").clear()

    # WHEN she clicks the refund chip on the row
    console.driver.get_log("performance")
    next(e for e in console.all(f'#message-list .row-box[data-id="{first}"] .tag-chip') if e.text == refund).click()
    # THEN the list is read again, filtered by that tag: the first conversation, not the second
    console.wait(lambda d: row_ids(console) == [first], "the list of those tagged refund")
    assert any(f"tag={refund}" in url for url in console.requested_urls())
    assert console.find("#filter-tag").get_attribute("value") == refund
    chip = next(e for e in console.all(f'#message-list .row-box[data-id="{first}"] .tag-chip') if e.text == refund)
    assert chip.get_attribute("aria-pressed") == "true"
    assert console.find("#filter-clear").is_displayed()
    # AND the filter is kept like the others: a refresh shows the same list
    assert json.loads(console.storage()["session"]["st.list.filters"])["tag"] == refund
    console.driver.refresh()
    console.text_in(".detail-head", "Noa Kimura")
    console.wait(lambda d: row_ids(console) == [first], "the filtered list after a refresh")
    assert console.find("#filter-tag").get_attribute("value") == refund

    # WHEN she removes vip with its ×
    console.find(f'#tag-list .tag-remove[data-tag="{vip}"]').click()
    # THEN it is gone here, in the row and through the API, and the focus is on the × left
    console.text_in("#notice", f"Removed the tag {vip}.")
    console.wait(lambda d: chip_names(console) == [refund], "the chips after removing vip")
    assert tags_of(stack, first) == [refund]
    console.wait(lambda d: row_tags(console, first) == [refund], "the row's chips after removing vip")
    assert focused(console, "data-tag") == refund
    # WHEN she removes refund, the tag the list is filtered by
    console.find(f'#tag-list .tag-remove[data-tag="{refund}"]').click()
    # THEN the list is read again and has none left, and the focus is back in the input
    console.text_in("#message-list .empty", "match the filters")
    console.text_in("#tag-list", "No tags yet.")
    assert tags_of(stack, first) == [] and focused(console) == "tag-input"

    # AND the history says who added and removed which, in words, in English and Japanese
    console.driver.refresh()
    history = console.text_in(".history", f"removed the tag {refund}").text
    assert f"Tagged · Aiko (agent) added tags {refund}, {vip}" in history, history
    assert f"Tagged · Aiko (agent) removed the tag {vip}" in history, history
    assert "added:" not in history and "removed:" not in history, history
    Select(console.find("#language")).select_by_value("ja")
    history = console.text_in(".history", "タグ付け").text
    assert f"Aiko (agent) がタグ {refund}、{vip} を追加" in history, history
    assert f"Aiko (agent) がタグ {vip} を削除" in history, history
    console.text_in("#tags-title", "タグ")
    assert console.find("#filter-tag").get_attribute("value") == refund


def test_manager_tags_the_selected_conversations_and_is_told_which_were_refused(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    crisis = f"crisis-{suffix}"
    # GIVEN three conversations of one customer, the third of which already has as many tags as it may keep
    ids = [customer_service(stack, 10 + n, f"Outage {suffix}: I cannot pay my bill, attempt {n}", "44400002",
                            "Ren Aoki") for n in range(3)]
    full = [f"t{n}-{suffix}" for n in range(10)]
    status, body = stack.call("POST", f"/conversations/{ids[2]}/tags", body={"add": full})
    assert status == 200 and body["tags"] == full, body
    console.sign_in("manager")
    console.driver.get(console.url + f"#/work/customer_service/{ids[0]}")
    console.text_in(".detail-head", "Ren Aoki")
    console.find("#from-author").click()
    console.wait(lambda d: row_ids(console) == sorted(ids), "the list is that customer's conversations")
    assert row_tags(console, ids[2]) == full
    # WHEN she ticks them all and asks to tag them with nothing typed THEN she is asked for the tag
    console.find("#bulk-all").click()
    console.text_in("#bulk-bar", "3 selected")
    console.find("#bulk-tag").click()
    console.text_in("#bulk-status", "Type the tag to add to them.")
    assert all(tags_of(stack, i) == [] for i in ids[:2])
    # WHEN she types a tag, ticks one row off and on again (what she typed stays), and presses Enter
    console.find("#bulk-tags").send_keys(f"Crisis-{suffix}")
    for _ in range(2):
        console.find(f'#message-list input.pick[data-id="{ids[2]}"]').click()
    console.text_in("#bulk-bar", "3 selected")
    assert console.find("#bulk-tags").get_attribute("value") == f"Crisis-{suffix}"
    console.find("#bulk-tags").send_keys(Keys.ENTER)
    # THEN the two that had room are tagged, and the third is named with the reason in words
    console.text_in("#notice", f"2 conversations tagged {crisis}.")
    refused = console.text_in("#bulk-status", "1 could not be changed").text
    assert ids[2] in refused and "A conversation keeps at most 10 tags" in refused, refused
    assert [tags_of(stack, i) for i in ids] == [[crisis], [crisis], full]
    # AND the list is read again, with the new chips on their rows
    console.wait(lambda d: row_tags(console, ids[0]) == [crisis] and row_tags(console, ids[1]) == [crisis],
                 "the re-read list shows the new tag")
    assert row_tags(console, ids[2]) == full
    assert not console.all("#message-list input.pick:checked")
    console.find(f'#message-list input.pick[data-id="{ids[0]}"]').click()
    assert console.find("#bulk-tags").get_attribute("value") == ""  # sent: the next selection starts afresh
    console.find(f'#message-list input.pick[data-id="{ids[0]}"]').click()
    assert not console.low_contrast() and not console.unlabelled()
    screenshot("manager-bulk-tag")
    # AND on a 600 px screen the list with its chips and the bulk bar fit the width
    console.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 600, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    console.driver.get(console.url + "#/work/customer_service")  # on a narrow screen, the list or a conversation
    # the view without the conversation: the one it replaces lists the same rows, and a tick there would be lost
    console.wait(lambda d: not console.all(".agent.has-detail") and row_ids(console) == sorted(ids),
                 "the list, still filtered by that customer")
    console.find("#bulk-all").click()
    console.find("#bulk-tags")
    assert console.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    console.driver.execute_script("document.getElementById('bulk-bar').scrollIntoView()")
    screenshot("manager-bulk-tag-600")
    console.driver.get(console.url + f"#/work/customer_service/{ids[2]}")
    console.wait(lambda d: chip_names(console) == full, "the conversation's ten chips")
    assert console.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("manager-tags-600")


def test_tags_in_any_script_are_kept_in_the_one_spelling_the_api_keeps(console):
    """A tag is 1 to 32 characters of any script, marks included, without spaces, commas or control characters;
    the API keeps it case folded in NFKC ("ｶﾀｶﾅ" is "カタカナ")."""
    stack = console.stack
    status, contract = stack.call("GET", "/openapi.json", key="")
    assert status == 200
    if r"^[\w-]+$" in patterns(contract):
        pytest.skip("this API still keeps tags of letters, digits, _ and - only")
    suffix = secrets.token_hex(3)
    # GIVEN an open conversation in her queue
    conversation = customer_service(stack, 20, f"Refund {suffix} for my order please", "44400003", "Kai Mori")
    console.sign_in("agent")
    console.driver.get(console.url + f"#/work/customer_service/{conversation}")
    console.text_in(".detail-head", "Kai Mori")
    # WHEN she types a tag with an invisible space in it THEN it is named in words, and nothing is sent
    console.find("#tag-input").send_keys(f"ok{suffix} a\u200bb", Keys.ENTER)
    alert = console.text_in("#alert", "This is not a tag: a").get_attribute("textContent")
    assert "a\u200bb." in alert and f"ok{suffix}" not in alert, alert
    assert tags_of(stack, conversation) == []
    console.find("#tag-input").clear()
    # WHEN she types tags with combining marks, a decomposed accent, full-width signs and half-width katakana
    typed = [f"हिंदी{suffix}", "ด่วน", f"Cafe\u0301{suffix}", "＿－", "ｶﾀｶﾅ"]
    console.find("#tag-input").send_keys(" ".join(typed), Keys.ENTER)
    # THEN the API keeps them, in its one spelling, and the chips are its answer
    kept = [f"हिंदी{suffix}", "ด่วน", f"café{suffix}", "_-", "カタカナ"]
    console.text_in("#notice", "Added the tags ")
    console.wait(lambda d: chip_names(console) == kept, "the chips are the API's spelling")
    assert tags_of(stack, conversation) == kept
    # AND the list narrowed by "ｶﾀｶﾅ" typed in the filter is the one narrowed by "カタカナ"
    console.find("#filter-tag").send_keys("ｶﾀｶﾅ", Keys.ENTER)
    assert console.wait(lambda d: console.find("#filter-tag").get_attribute("value") == "カタカナ" or None,
                        "the filter in the API's spelling")
    console.wait(lambda d: conversation in row_ids(console), "the conversation is listed under its tag")
