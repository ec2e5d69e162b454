"""Assignment and the people stats in the console, against `make run`'s stack (see conftest.py): a manager hands a
conversation to a person of its queue from the conversation or the bulk bar, the history says so in words, the
assignee finds it under "Yours", and the stats view's People table shows what the API counts per person.

GIVEN people and conversations of their own (keys issued and customers named per test, so no other test's
agent, list or count is touched and the order of the tests does not matter)
WHEN a manager assigns, or an agent resolves
THEN the API holds what the console said, and the console shows what the API answered.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import REQUIRED, conversation_in_customer_service

try:
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)


def customer_service(stack, text: str, author_id: str, author: str) -> str:
    return conversation_in_customer_service(stack, text, author_id, author)


def person(stack, role: str, name: str, queues=()) -> dict:
    """A new key, signed in as stack.keys[name], and the person as GET /team names them."""
    key = stack.issue(role, name, queues)
    stack.keys[name] = key
    key_id = key.split("_")[1]
    status, team = stack.call("GET", "/team")
    assert status == 200, team
    return next(member for member in team["members"] if member["key_id"] == key_id)


def conversation(stack, conversation_id: str) -> dict:
    status, body = stack.call("GET", f"/conversations/{conversation_id}")
    assert status == 200, body
    return body


def options(console, css: str) -> list[str]:
    return [e.get_attribute("value") for e in console.all(f"{css} option") if e.get_attribute("value")]


def row_ids(console) -> list[str]:
    return sorted(e.get_attribute("data-id") for e in console.all("#message-list a.row"))


def in_zone(console, iso: str, locale: str = "en-US") -> str:
    """A time as the console writes it (fmtDateTime) in the zone chosen at the top of the page."""
    return console.driver.execute_script(
        "return new Intl.DateTimeFormat(arguments[1], {dateStyle: 'medium', timeStyle: 'short',"
        " timeZone: document.getElementById('time-zone').value}).format(new Date(arguments[0]));", iso, locale)


def fits(console) -> bool:
    return console.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def narrow(console) -> None:
    console.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 600, "height": 900, "deviceScaleFactor": 1, "mobile": False})


def test_manager_assigns_a_conversation_to_an_agent_of_its_queue_who_then_finds_it_under_yours(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    # GIVEN an agent of customer_service, an agent of stance only, and an open conversation in customer_service
    cy = person(stack, "agent", f"Cy {suffix}", ["customer_service"])
    sol = person(stack, "agent", f"Sol {suffix}", ["stance"])
    mana = next(m for m in stack.call("GET", "/team")[1]["members"] if m["key_id"] == stack.keys["manager"].split("_")[1])
    first = customer_service(stack, f"Order {suffix} arrived broken, I want a refund", "44500001", "Ivo Marsh")
    console.sign_in("manager")
    console.driver.get(console.url + f"#/work/customer_service/{first}")
    console.text_in(".detail-head", "Ivo Marsh")
    # THEN she is offered the people who work its queue (the agent of it, managers, admins), not the stance agent
    console.text_in("#assign-now", "Nobody holds it now.")
    offered = console.wait(lambda d: options(console, "#assign-to") or None, "the team is offered")
    assert cy["key_id"] in offered and mana["key_id"] in offered and sol["key_id"] not in offered, offered
    assert f"{mana['name']} (you)" in [e.text for e in console.all("#assign-to option")]
    assert console.find("#assign-to").get_attribute("aria-describedby") == "assign-now assign-hint"

    # WHEN she asks to assign with nobody chosen THEN she is asked whom, and nothing is sent
    console.find("#assign-submit").click()
    console.text_in("#alert", "Choose the person to assign it to.")
    assert conversation(stack, first)["status"] == "open"
    # WHEN she chooses Cy and assigns
    Select(console.find("#assign-to")).select_by_value(cy["key_id"])
    console.find("#assign-submit").click()
    # THEN the API holds it for Cy, and the conversation is drawn from its answer: Cy holds it, by name
    console.text_in("#notice", f"Assigned to {cy['name']} until")
    held = conversation(stack, first)
    assert held["status"] == "claimed" and held["claimed_by"] == cy["actor"], held
    until = in_zone(console, held["lease_expires_at"])
    console.text_in("#notice", f"Assigned to {cy['name']} until {until}.")
    console.text_in("#lease-other", f"Claimed by {cy['name']} until {until}.")
    console.text_in("#assign-now", f"Now held by {cy['name']} until {until}.")
    console.text_in(".detail-head .badge", "Claimed")
    console.wait(lambda d: f"{cy['name']} (holds it now)" in [e.text for e in console.all("#assign-to option")],
                 "Cy's option says she holds it")
    console.wait(lambda d: d.execute_script("return document.activeElement && document.activeElement.id") == "assign-to",
                 "the focus is back on the select")
    # AND the history says it in words, in the time zone chosen at the top, in English and in Japanese
    line = f"Assigned · {mana['name']} assigned it to {cy['name']} until {until}"
    console.text_in(".history", line)
    Select(console.find("#time-zone")).select_by_value("Asia/Tokyo")
    tokyo = in_zone(console, held["lease_expires_at"])
    console.text_in(".history", f"Assigned · {mana['name']} assigned it to {cy['name']} until {tokyo}")
    assert "to:" not in console.find(".history").text
    assert not console.low_contrast() and not console.unlabelled()
    screenshot("manager-assign")
    Select(console.find("#language")).select_by_value("ja")
    tokyo_ja = in_zone(console, held["lease_expires_at"], "ja-JP")
    console.text_in(".history", f"{mana['name']} が {cy['name']} に割り当て（{tokyo_ja} まで）")
    console.text_in("#assign-title", "割り当て")

    # WHEN Cy signs in and shows what she holds
    console.driver.execute_script("sessionStorage.clear();")
    console.sign_in(cy["name"])
    Select(console.find("#list-status")).select_by_value("mine")
    # THEN the conversation is there, hers
    console.wait(lambda d: first in row_ids(console), "the assigned conversation is under Yours")
    row = console.find(f'#message-list a.row[data-id="{first}"]')
    assert "あなたの担当" in row.text  # the page is still in Japanese: the "Yours" badge
    # AND an agent never sees "Assign to…"
    row.click()
    console.find("#lease")
    assert not console.all("#assign") and not console.all("#bulk-assignee")


def test_manager_assigns_the_selected_conversations_and_is_told_which_were_refused(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    # GIVEN an agent of customer_service, one of stance only, and three open conversations of one customer
    dee = person(stack, "agent", f"Dee {suffix}", ["customer_service"])
    sol = person(stack, "agent", f"Sol {suffix}", ["stance"])
    ids = [customer_service(stack, f"Billing {suffix}: charged twice for order {n}", "44500002", "Ada Quint")
           for n in range(3)]
    console.sign_in("manager")
    console.driver.get(console.url + f"#/work/customer_service/{ids[0]}")
    console.text_in(".detail-head", "Ada Quint")
    console.find("#from-author").click()
    console.wait(lambda d: row_ids(console) == sorted(ids), "the list is that customer's conversations")
    # AND the third is resolved meanwhile by someone else, after the list was read
    status, body = stack.call("POST", "/conversations/bulk", body={"action": "resolve", "conversation_ids": [ids[2]]})
    assert status == 200 and body["done"] == 1, body
    # WHEN she ticks all three
    console.find("#bulk-all").click()
    console.text_in("#bulk-bar", "3 selected")
    # THEN she may assign them to the people of their queue, not to the stance agent
    offered = console.wait(lambda d: options(console, "#bulk-assignee") or None, "the team is offered")
    assert dee["key_id"] in offered and sol["key_id"] not in offered, offered
    # WHEN she asks with nobody chosen THEN she is asked whom
    console.find("#bulk-assign").click()
    console.text_in("#bulk-status", "Choose the person to assign them to.")
    # WHEN she chooses Dee, ticks a row off and on again (the choice stays), and assigns
    Select(console.find("#bulk-assignee")).select_by_value(dee["key_id"])
    for _ in range(2):
        console.find(f'#message-list input.pick[data-id="{ids[1]}"]').click()
    assert Select(console.find("#bulk-assignee")).first_selected_option.get_attribute("value") == dee["key_id"]
    console.find("#bulk-assign").click()
    # THEN the two open ones are Dee's, and the resolved one is named with the reason in words
    console.text_in("#notice", f"2 conversations assigned to {dee['name']}.")
    refused = console.text_in("#bulk-status", "1 could not be changed").text
    assert ids[2] in refused and "This conversation changed in the meantime" in refused, refused
    states = [conversation(stack, i) for i in ids]
    assert [(s["status"], s.get("claimed_by")) for s in states] == [
        ("claimed", dee["actor"]), ("claimed", dee["actor"]), ("resolved", None)], states
    # AND the list is read again: none of them is open now; among the claimed ones, each says who holds it
    console.text_in("#message-list .empty", "match the filters")
    Select(console.find("#list-status")).select_by_value("claimed")
    console.wait(lambda d: row_ids(console) == sorted(ids[:2]), "the claimed ones")
    for conversation_id in ids[:2]:
        console.text_in(f'#message-list a.row[data-id="{conversation_id}"] .holder', f"Held by {dee['name']}")
    # AND the conversation open beside the list, one of them, is drawn again: Dee holds it
    console.text_in("#lease-other", f"Claimed by {dee['name']} until")
    console.find("#bulk-all").click()
    console.find("#bulk-assignee")
    assert not console.low_contrast() and not console.unlabelled()
    screenshot("manager-bulk-assign")
    # AND on a 600 px screen the bulk bar and the conversation's "Assign to…" fit the width
    narrow(console)
    console.driver.get(console.url + "#/work/customer_service")
    # the view without the conversation: the one it replaces lists the same rows, and a tick there would be lost
    console.wait(lambda d: not console.all(".agent.has-detail") and row_ids(console) == sorted(ids[:2]),
                 "the claimed ones, still filtered by that customer")
    console.find("#bulk-all").click()
    console.find("#bulk-assignee")
    assert fits(console)
    console.driver.get(console.url + f"#/work/customer_service/{ids[0]}")
    console.text_in("#assign-now", f"Now held by {dee['name']}")
    console.find("#assign-to")
    assert fits(console)
    console.driver.execute_script("document.getElementById('assign').scrollIntoView()")
    screenshot("manager-assign-600")


def test_an_assignment_the_api_refuses_is_said_in_words_and_the_conversation_shown_as_it_is_now(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    # GIVEN a manager on an open conversation, with an agent of its queue chosen
    eve = person(stack, "agent", f"Eve {suffix}", ["customer_service"])
    first = customer_service(stack, f"Invoice {suffix} is wrong, please refund the difference", "44500004", "Jo Lind")
    console.sign_in("manager")
    console.driver.get(console.url + f"#/work/customer_service/{first}")
    Select(console.find("#assign-to")).select_by_value(eve["key_id"])
    # WHEN someone resolves it meanwhile, and she assigns it
    status, body = stack.call("POST", "/conversations/bulk", body={"action": "resolve", "conversation_ids": [first]})
    assert status == 200 and body["done"] == 1, body
    console.find("#assign-submit").click()
    # THEN she is told in words, the conversation is drawn as it is now (resolved: nothing to assign), and the API
    # did not assign it
    console.text_in("#alert", "This conversation changed in the meantime")
    console.text_in(".detail-head .badge", "Resolved")
    console.wait(lambda d: not console.all("#assign"), "no Assign to… on a resolved conversation")
    assert conversation(stack, first)["status"] == "resolved"


# fmtDuration (console/src/i18n.js), for the expected cells: the same Intl formatting in the page's language
DURATION = """
const [seconds, lang] = arguments;
if (seconds === null) return '—';
const [unit, size] = seconds < 60 ? ['second', 1] : seconds < 3600 ? ['minute', 60]
  : seconds < 48 * 3600 ? ['hour', 3600] : ['day', 86400];
return new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-US', { style: 'unit', unit,
  unitDisplay: lang === 'ja' ? 'short' : 'long', maximumFractionDigits: unit === 'second' || unit === 'minute' ? 0 : 1,
}).format(seconds / size);
"""


def test_the_people_table_shows_what_each_person_resolved_as_the_api_counts_it(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    # GIVEN an agent who claimed and resolved two conversations of her queue
    pia = person(stack, "agent", f"Pia {suffix}", ["customer_service"])
    ids = [customer_service(stack, f"Refund {suffix} for order {n} please, it never came", "44500003", "Eli Park")
           for n in range(2)]
    for conversation_id in ids:
        for action in ("claim", "resolve"):
            status, body = stack.call("POST", f"/conversations/{conversation_id}/{action}", key=stack.keys[pia["name"]],
                                      body={})
            assert status == 200, body
    # WHEN a manager opens the stats view (its range: yesterday and today, in the zone chosen)
    console.sign_in("manager")
    console.driver.get_log("performance")
    console.find('nav a[href="#/stats"]').click()
    # THEN the People table has a row for her with what the API counts for that range, in words and units
    cells = console.wait(lambda d: [e.text for e in console.all(
        f'#people tbody tr:has(span[data-key="{pia["key_id"]}"]) > *')] or None, "Pia's row in the People table")
    asked = next(url for url in console.requested_urls() if "/stats/people?" in url)
    query = {name: values[0] for name, values in parse_qs(urlparse(asked).query).items()}
    assert set(query) == {"from", "to", "tz"}, query
    status, answer = stack.call("GET", "/stats/people?" + urlparse(asked).query, key=stack.keys["manager"])
    assert status == 200, answer
    counted = next(p for p in answer["people"] if p["key_id"] == pia["key_id"])
    assert (counted["resolved"], counted["replies"], counted["revoked"]) == (2, 0, False), counted
    duration = [console.driver.execute_script(DURATION, counted[f"time_to_resolve_{p}_seconds"], "en") for p in ("p50", "p90")]
    # (nobody rated her conversations: no average, the dash said "no ratings" to a screen reader)
    assert cells == [pia["name"], "Agent", "2", "0", *duration, "0", "–\nno ratings"], cells
    assert "—" not in duration
    console.text_in("#people-served", "From ")
    assert [e.text for e in console.all("#people thead th")] == [
        "Person", "Role", "Resolved", "Replies sent", "Time to resolve, p50", "Time to resolve, p90", "Ratings",
        "Average rating"]
    assert not console.low_contrast() and not console.unlabelled()
    console.driver.execute_script("document.getElementById('people').scrollIntoView()")
    screenshot("manager-people")
    # AND in Japanese
    Select(console.find("#language")).select_by_value("ja")
    console.text_in("#people-title", "担当者別")
    console.wait(lambda d: console.all(f'#people tbody tr:has(span[data-key="{pia["key_id"]}"])'), "Pia's row in Japanese")
    # AND on a 600 px screen the table scrolls within its panel, not the page
    narrow(console)
    console.driver.refresh()
    console.find(f'#people span[data-key="{pia["key_id"]}"]')
    assert fits(console)
    console.driver.execute_script("document.getElementById('people').scrollIntoView()")
    screenshot("manager-people-600")

    # WHEN she chooses a range in which nobody did anything
    console.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    Select(console.find("#language")).select_by_value("en")
    # the redrawn view's own reading first: answering after hers, it would draw the default range over it
    console.text_in("#people-served", "From ")
    for field, day in (("#stats-from", "2021-01-04"), ("#stats-to", "2021-01-05")):
        console.driver.execute_script("arguments[0].value = arguments[1]", console.find(field), day)
    console.find("#stats-apply").click()
    # THEN the People panel says so in words
    console.text_in("#people-empty", "Nobody resolved a conversation or sent a reply in this range.")
    assert not console.all("#people table")
    # AND a year, which the API serves whole (366 days at most), is not said to be cut
    for field, day in (("#stats-from", "2021-01-01"), ("#stats-to", "2021-12-31")):
        console.driver.execute_script("arguments[0].value = arguments[1]", console.find(field), day)
    console.find("#stats-apply").click()
    served = console.text_in("#people-served", "2022")
    assert "first" not in served.text, served.text
