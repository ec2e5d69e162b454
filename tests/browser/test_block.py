"""Blocking a customer from the console (POST /blocks, GET /blocks, DELETE /blocks; managers and admins), against
`make run`'s stack (see conftest.py).

GIVEN a customer of their own (an author id no other test uses) with a conversation in customer_service
WHEN a manager opens it, presses "Block this customer", reads what it does, gives a reason and a duration and confirms
THEN the customer panel says who blocked them, since and until when, with Unblock; a new signed webhook message from
that author is kept but held back (status removed): the Removed listing and the message say "Held back: its author is
blocked" with who and when; the Blocked customers view lists them and unblocks them in two steps, and their next
message enters the queue again; in English and Japanese. An agent sees only the notice, never Block, Unblock or the
view; a block made meanwhile by someone else is said; a refusal is said beside the button; "More" pages the list.

Banning on the platform too (POST /blocks on_platform): a manager ticks "Also ban from the Facebook Page" (offered
only with "Until unblocked", never for an Instagram customer, in the platform's own words); the fake Graph API records
the Page ban, the panel and the Blocked customers list say it, Unblock says it lets them back and does (the fake's
last word on them is an unban); the platform's refusals (scripted on the fake) are said in words and store nothing.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta, timezone

import pytest

import payloads

from .conftest import (REQUIRED, WAIT, article, conversation_in_customer_service, open_conversation, page_text,
                       scroll_to, settled_in_customer_service)

try:
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

PAGE = "104857600000001"  # the Facebook Page the tests' comments come to
POST = f"{PAGE}_900001"  # conversation_in_customer_service's post
QUEUES = ("customer_service", "stance", "community")


def in_zone(console, iso: str, locale: str = "en-US") -> str:
    """A time as the console writes it (fmtDateTime) in the zone chosen at the top of the page."""
    return console.driver.execute_script(
        "return new Intl.DateTimeFormat(arguments[1], {dateStyle: 'medium', timeStyle: 'short',"
        " timeZone: document.getElementById('time-zone').value}).format(new Date(arguments[0]));", iso, locale)


def new_customer(stack, suffix: str) -> dict:
    """A customer of their own with one conversation in customer_service: {'author_id', 'name', 'conversation'}."""
    author_id = f"6{secrets.randbelow(10 ** 9):09d}"
    name = f"Spam Bot {suffix}"
    conversation = conversation_in_customer_service(
        stack, f"Order {suffix} never came and nobody answers, refund me now", author_id, name)
    return {"author_id": author_id, "name": name, "conversation": conversation}


def comment_from(stack, author_id: str, name: str, text: str) -> None:
    """A new top-level Facebook comment by this author, through the signed webhook."""
    payload = payloads.page_comment(f"{POST}_{secrets.randbelow(10 ** 12)}", text, author_id=author_id)
    payload["entry"][0]["changes"][0]["value"]["from"]["name"] = name
    stack.webhook(payload)


def stored(stack, text: str, statuses=("removed",)) -> dict:
    """The message with this text once stored, in any queue, among those statuses (as an admin reads them)."""
    deadline = time.monotonic() + WAIT
    while True:
        for queue in QUEUES:
            for status in statuses:
                code, page = stack.call("GET", f"/queues/{queue}/messages?status={status}&limit=100")
                assert code == 200, page
                for message in page["messages"]:
                    if message["text"] == text:
                        return message
        assert time.monotonic() < deadline, f"no {statuses} message {text!r}"
        time.sleep(0.2)


def all_blocks(stack) -> list[dict]:
    """Every block, following next_cursor, as the API lists them."""
    blocks, cursor = [], None
    while True:
        status, page = stack.call("GET", "/blocks" + (f"?cursor={cursor}" if cursor else ""))
        assert status == 200, page
        blocks += page["blocks"]
        cursor = page["next_cursor"]
        if not cursor:
            return blocks


def block_of(stack, author_id: str) -> dict | None:
    return next((b for b in all_blocks(stack) if b["author_id"] == author_id), None)


def blocked_row(author_id: str) -> str:
    return f'#blocks-rows tr[data-author-id="{author_id}"]'


def test_a_manager_blocks_a_customer_their_next_message_is_held_back_and_unblocking_lets_the_one_after_in(
        console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    spammer = new_customer(stack, suffix)
    # GIVEN the manager on the customer's conversation
    console.sign_in("manager")
    open_conversation(console, spammer["conversation"])
    console.text_in("#block-title", "Blocking")
    console.text_in("#block-what", "Their new messages will be kept out of the queues; they are not told, and nothing "
                                   "changes on the platform unless you also ban them there.")
    start = console.find("#block-start")
    assert start.text == "Block this customer"
    # WHEN she presses it THEN she is asked first, with what it does, a reason and how long; nothing is sent yet
    start.click()
    console.text_in("#block-question", f"Block {spammer['name']} on Facebook?")
    duration = Select(console.find("#block-duration"))
    assert [o.text for o in duration.options] == ["1 day", "7 days", "30 days", "Until unblocked"]
    confirm = console.find("#block-confirm")
    assert confirm.text == "Block" and console.driver.switch_to.active_element == confirm
    assert block_of(stack, spammer["author_id"]) is None
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#block")
    screenshot("block-confirm")
    # AND Cancel takes the question back
    console.find("#block-cancel").click()
    assert console.driver.switch_to.active_element == console.find("#block-start")
    # WHEN she confirms with a reason, for 30 days
    console.find("#block-start").click()
    console.find("#block-reason-input").send_keys(f"crypto spam wave {suffix}")
    Select(console.find("#block-duration")).select_by_visible_text("30 days")
    console.find("#block-confirm").click()
    # THEN it is said, and the panel says who blocked them, since and until when, with Unblock
    console.text_in("#notice", "Blocked: their new messages will be kept out of the queues.")
    block = block_of(stack, spammer["author_id"])
    assert block and block["platform"] == "facebook" and block["reason"] == f"crypto spam wave {suffix}"
    assert block["blocked_by"].startswith("manager:Mana (manager)") and block["name"] == spammer["name"]
    expires = datetime.fromisoformat(block["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - datetime.now(timezone.utc) - timedelta(days=30)) < timedelta(minutes=5)
    notice = console.find("#block-notice")
    assert notice.text == (f"Blocked by Mana (manager) · {in_zone(console, block['blocked_at'])} "
                           f"(until {in_zone(console, block['expires_at'])})"), notice.text
    console.text_in("#block-reason", f"Reason: crypto spam wave {suffix}")
    assert console.find("#unblock").text == "Unblock"
    assert not console.find("#block").find_elements("css selector", "#block-start")
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#block")
    screenshot("block-blocked")

    # WHEN the customer writes again (a new signed webhook comment)
    held_text = f"Earn $900 a day {suffix}, DM me now"
    comment_from(stack, spammer["author_id"], spammer["name"], held_text)
    # THEN it is kept but never enters a queue: removed, held back, by whom they were blocked, with the block's reason
    held = stored(stack, held_text)
    assert held["moderation"]["state"] == "blocked" and held["moderation"]["by"] == block["blocked_by"]
    assert held["moderation"]["reason"] == f"crypto spam wave {suffix}"
    assert held_text not in json.dumps(stack.call("GET", f"/queues/{held['queue']}/messages?status=open&limit=100")[1])
    # AND the Removed listing names it
    console.driver.get(console.url + f"#/work/{held['queue']}")
    Select(console.find("#list-status")).select_by_value("removed")
    row = console.text_in("#message-list a.row", held_text)
    assert "Held back: its author is blocked · Mana (manager) · " in row.text, row.text
    assert in_zone(console, held["moderation"]["at"]) in row.text
    # AND opened, it says so, with who blocked them, when it came and the block's reason; the history says it too
    row.click()
    console.text_in("#moderated", "Held back: its author is blocked. It never entered a queue.")
    badge = console.find(f"{article(held['id'])} .badge-blocked")
    assert badge.text == f"Held back: its author is blocked · Mana (manager) · {in_zone(console, held['moderation']['at'])}"
    assert "moderated-blocked" in console.find(article(held["id"])).get_attribute("class")
    console.text_in(f"{article(held['id'])} .moderation-reason", f"Reason: crypto spam wave {suffix}")
    console.text_in(".history", "Held back: its author is blocked")
    # (the comment is still on Facebook: a manager may delete it there, never hide it, whose Unhide would queue it)
    assert [b.get_attribute("data-action") for b in console.all(f"{article(held['id'])} .moderation button")] == ["delete"]
    # (and, its conversation having no customer panel, Unblock is offered from here)
    console.text_in("#block-held-back", "It came while its author was blocked.")
    assert console.find("#unblock").text == "Unblock"
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("block-held-back")
    # AND in Japanese
    Select(console.find("#language")).select_by_value("ja")
    console.text_in("#moderated", "投稿者をブロック中のため保留しました。キューには入っていません。")
    console.text_in(f"{article(held['id'])} .badge-blocked", "保留(投稿者をブロック中) · Mana (manager) · ")
    screenshot("block-held-back-ja")
    Select(console.find("#language")).select_by_value("en")

    # WHEN she opens Blocked customers from the navigation
    console.find('nav a[href="#/blocked"]').click()
    console.text_in("h1", "Blocked customers")
    # THEN the customer is listed: name, platform, author id, reason, who, since, until
    listed = console.find(blocked_row(spammer["author_id"]))
    cells = [c.text for c in listed.find_elements("css selector", "th, td")]
    assert cells[:7] == [spammer["name"], "Facebook", spammer["author_id"], f"crypto spam wave {suffix}",
                         "Mana (manager)", in_zone(console, block["blocked_at"]), in_zone(console, block["expires_at"])]
    assert cells[7] == "—"  # not banned on the platform
    assert [e.text for e in console.all("#blocks-table thead th")] == [
        "Customer", "Platform", "Author id", "Reason", "Blocked by", "Since", "Until", "On the platform", "Actions"]
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("blocks-view")
    # AND in Japanese
    Select(console.find("#language")).select_by_value("ja")
    console.text_in("h1", "ブロック中のお客様")
    unblock = console.find(f'{blocked_row(spammer["author_id"])} button[data-action="unblock"]')  # the list, read again
    assert unblock.text == "ブロックを解除"
    assert [e.text for e in console.all("#blocks-table thead th")] == [
        "お客様", "プラットフォーム", "投稿者 ID", "理由", "ブロックした人", "ブロック日時", "期限", "プラットフォーム側", "操作"]
    screenshot("blocks-view-ja")
    Select(console.find("#language")).select_by_value("en")
    # WHEN she presses Unblock on its row THEN she is asked first; Cancel keeps the block
    console.find(f'{blocked_row(spammer["author_id"])} button[data-action="unblock"]').click()
    console.text_in(f"{blocked_row(spammer['author_id'])} .unblock-question",
                    f"Unblock {spammer['name']}? Their new messages will go to the queues again.")
    console.find(f'{blocked_row(spammer["author_id"])} button[data-action="cancel"]').click()
    assert block_of(stack, spammer["author_id"]) is not None
    # WHEN she confirms
    console.find(f'{blocked_row(spammer["author_id"])} button[data-action="unblock"]').click()
    confirm = console.find(f'{blocked_row(spammer["author_id"])} button[data-action="confirm-unblock"]')
    assert console.driver.switch_to.active_element == confirm
    confirm.click()
    # THEN it is said, the row goes, and the API no longer blocks them
    console.text_in("#notice", "Unblocked: their new messages go to the queues again. What was held back stays as it is.")
    console.wait(lambda d: not console.all(blocked_row(spammer["author_id"])), "the unblocked row still listed")
    assert block_of(stack, spammer["author_id"]) is None
    # AND what was held back stays so; their next message enters its queue
    status, message = stack.call("GET", f"/messages/{held['id']}")
    assert status == 200 and message["status"] == "removed" and message["moderation"]["state"] == "blocked"
    after_text = f"Sorry {suffix}, my order never came, please check"
    comment_from(stack, spammer["author_id"], spammer["name"], after_text)
    after = stored(stack, after_text, statuses=("open", "claimed", "resolved"))
    assert after["status"] == "open" and "moderation" not in after


def test_an_agent_sees_only_that_a_customer_is_blocked_and_a_manager_unblocks_from_the_panel(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    blocked, free = new_customer(stack, f"{suffix}a"), new_customer(stack, f"{suffix}b")
    # GIVEN one customer blocked by the admin until unblocked, another not blocked
    status, block = stack.call("POST", "/blocks", body={"platform": "facebook", "author_id": blocked["author_id"],
                                                        "reason": "threats"})
    assert status == 201 and block["expires_at"] is None, block
    # WHEN the agent opens the blocked customer's conversation
    console.sign_in("agent")
    open_conversation(console, blocked["conversation"])
    # THEN she is told they are blocked, by whom, since when, and nothing to press
    notice = console.find("#block-notice")
    assert notice.text == (f"Blocked by bootstrap admin · {in_zone(console, block['blocked_at'])} "
                           "(until unblocked)"), notice.text
    console.text_in("#block-reason", "Reason: threats")
    assert not console.all("#block-start") and not console.all("#unblock") and not console.all("#block button")
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#block")
    screenshot("block-agent")
    # AND in Japanese
    Select(console.find("#language")).select_by_value("ja")
    console.text_in("#block-notice", "ブロック中(bootstrap admin が設定) · ")
    console.text_in("#block-notice", "(解除するまで)")
    Select(console.find("#language")).select_by_value("en")
    # AND on a customer not blocked she sees no block panel at all, and no Blocked customers view
    open_conversation(console, free["conversation"])
    # (the customer panel's read done: the list of their other conversations and the block panel share it)
    console.wait(lambda d: console.all("#customer") and console.all("#block")
                 and console.all("#customer")[0].get_attribute("aria-busy") is None, "the customer read")
    assert console.all("#block")[0].get_attribute("hidden") is not None and not console.all("#block-start")
    assert not console.all('nav a[href="#/blocked"]')
    console.driver.get(console.url + "#/blocked")
    console.wait(lambda d: d.current_url.endswith("#/work"), "an agent is sent back to her queues")
    assert "Blocked customers" not in page_text(console)
    # AND the API refuses her as well
    status, body = stack.call("POST", "/blocks", key=stack.keys["agent"],
                              body={"platform": "facebook", "author_id": free["author_id"]})
    assert status == 403, body

    # WHEN a manager opens the blocked customer's conversation and presses Unblock
    console.find("#sign-out").click()
    console.sign_in("manager")
    open_conversation(console, blocked["conversation"])
    console.text_in("#block-notice", "Blocked by bootstrap admin")
    console.find("#unblock").click()
    # THEN it is said, the panel offers Block again (focused), and the API no longer blocks them
    console.text_in("#notice", "Unblocked: their new messages go to the queues again.")
    assert console.driver.switch_to.active_element == console.find("#block-start")
    assert block_of(stack, blocked["author_id"]) is None


def test_a_block_made_meanwhile_is_said_and_a_refusal_is_shown_beside_the_button(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    customer = new_customer(stack, suffix)
    # GIVEN the manager asked to confirm a block
    console.sign_in("manager")
    open_conversation(console, customer["conversation"])
    console.find("#block-start").click()
    console.find("#block-reason-input").send_keys("mine")
    # AND the API refusing the next POST /blocks as a busy service
    console.driver.execute_script("""
        const real = window.fetch.bind(window);
        window.__refused = 0;
        window.fetch = async (url, init) => {
          if (String(url).endsWith('/blocks') && (init || {}).method === 'POST' && !window.__refused) {
            window.__refused += 1;
            return new Response(JSON.stringify({ error: { code: 'service_unavailable', message: 'busy' } }),
              { status: 503, headers: { 'Content-Type': 'application/json' } });
          }
          return real(url, init);
        };""")
    # WHEN she confirms THEN the refusal is said in words beside the button, and the question stays
    console.find("#block-confirm").click()
    console.text_in("#block-error", "The service is busy or unavailable. Try again in a moment.")
    assert console.find("#block-confirm").is_enabled() and block_of(stack, customer["author_id"]) is None
    # GIVEN an admin blocks the customer meanwhile, for 7 days
    status, theirs = stack.call("POST", "/blocks", body={"platform": "facebook", "author_id": customer["author_id"],
                                                         "reason": "the admin's", "expires_in_days": 7})
    assert status == 201, theirs
    # WHEN she confirms again THEN she is told they were blocked already, and the panel shows that block, unchanged
    console.find("#block-confirm").click()
    console.text_in("#notice", "Already blocked: the block stays as it was.")
    console.text_in("#block-notice", "Blocked by bootstrap admin")
    console.text_in("#block-reason", "Reason: the admin's")
    assert block_of(stack, customer["author_id"])["reason"] == "the admin's"
    # AND an Unblock made elsewhere meanwhile is said too, and the panel offers Block again
    status, _ = stack.call("DELETE", f"/blocks?platform=facebook&author_id={customer['author_id']}")
    assert status == 200
    console.find("#unblock").click()
    console.text_in("#notice", "It was no longer blocked: someone unblocked them, or the block ran out.")
    console.find("#block-start")


def test_the_blocked_view_pages_with_more_and_says_when_no_one_is_blocked(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    # GIVEN more customers blocked than one page holds (each a generic source's author, blocked by the API directly)
    for n in range(101):
        status, body = stack.call("POST", "/blocks", body={"platform": "linkedin", "author_id": f"li-{suffix}-{n:03d}",
                                                           "reason": f"bulk {n}", "expires_in_days": 1})
        assert status == 201, body
    everyone = all_blocks(stack)
    status, first = stack.call("GET", "/blocks")
    assert status == 200 and first["next_cursor"] and len(first["blocks"]) < len(everyone), first
    # WHEN the manager opens Blocked customers
    console.sign_in("manager")
    console.driver.get(console.url + "#/blocked")
    # THEN the first page is listed, newest first, with More
    console.find("#blocks-table")
    console.wait(lambda d: len(console.all("#blocks-rows tr")) == len(first["blocks"]), "the first page listed")
    assert console.all("#blocks-rows tr")[0].get_attribute("data-author-id") == everyone[0]["author_id"]
    more = console.find("#blocks-more")
    assert more.text == "More" and not console.all("#blocks-empty:not([hidden])")
    # WHEN she presses More THEN the rest follow, each customer once, and More goes
    more.click()
    console.wait(lambda d: len(console.all("#blocks-rows tr")) == len(everyone), "every block listed")
    ids = [(e.get_attribute("data-platform"), e.get_attribute("data-author-id")) for e in console.all("#blocks-rows tr")]
    assert ids == [(b["platform"], b["author_id"]) for b in everyone]
    assert not more.is_displayed()
    assert console.driver.switch_to.active_element.get_attribute("data-action") == "unblock"  # the first row added
    # GIVEN an API with no one blocked (the page's fetch answers an empty page)
    console.driver.get(console.url + "#/work")
    console.find("#claim-next")
    console.driver.execute_script("""
        const real = window.fetch.bind(window);
        window.fetch = async (url, init) => (new URL(String(url)).pathname.endsWith('/blocks')
          ? new Response(JSON.stringify({ blocks: [], next_cursor: null }), { status: 200, headers: { 'Content-Type': 'application/json' } })
          : real(url, init));""")
    console.find('nav a[href="#/blocked"]').click()
    # THEN it says so, with no table and no More
    console.text_in("#blocks-empty", "No one is blocked.")
    assert not [e for e in console.all("#blocks-table") if e.is_displayed()]
    assert not [e for e in console.all("#blocks-more") if e.is_displayed()]
    Select(console.find("#language")).select_by_value("ja")
    console.text_in("#blocks-empty", "ブロック中のお客様はいません。")
    screenshot("blocks-empty-ja")
    # (cleaning up: the many blocks go, for the tests after this one)
    for n in range(101):
        status, _ = stack.call("DELETE", f"/blocks?platform=linkedin&author_id=li-{suffix}-{n:03d}")
        assert status == 200


def test_on_a_phone_the_admins_six_views_and_the_blocked_list_fit_the_screen(console, screenshot):
    stack = console.stack
    author_id = f"li-phone-{secrets.token_hex(3)}"
    status, body = stack.call("POST", "/blocks", body={"platform": "linkedin", "author_id": author_id,
                                                       "reason": "a long reason, " * 20, "expires_in_days": 1})
    assert status == 201, body
    # GIVEN an admin on a 390 px phone WHEN she opens Blocked customers
    console.driver.set_window_size(390, 844)
    console.sign_in("admin")
    console.driver.get(console.url + "#/blocked")
    console.find(blocked_row(author_id))
    # THEN every view is in the navigation and nothing makes the page scroll sideways (the table scrolls in its panel)
    assert [e.text for e in console.all("nav a")] == [
        "Queues", "Stats", "Saved replies", "WhatsApp templates", "Away message", "Satisfaction survey", "Routing rules",
        "Blocked customers", "API keys"]
    assert console.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("blocks-phone")
    status, _ = stack.call("DELETE", f"/blocks?platform=linkedin&author_id={author_id}")
    assert status == 200


# banning on the platform too ---------------------------------------------------------------------------------------

def page_bans(stack, author_id: str) -> list[str]:
    """What the fake Graph API did about this person and the Page, oldest first ("ban", "unban"): the ban and unban
    requests it accepted (POST /{page}/blocked {"user": [id]}, DELETE /{page}/blocked?user=id)."""
    return [r["ban"] for r in stack.fake_requests()
            if r["api"] == "graph" and r["ban"] and 200 <= r["status"] < 300 and f"/{PAGE}/blocked" in r["path"]
            and author_id in r["path"] + json.dumps(r["body"])]


def banned_on_page(stack, author_id: str) -> bool:
    """Whether the fake Facebook has this person banned from the Page now (its last accepted request about them)."""
    done = page_bans(stack, author_id)
    return bool(done) and done[-1] == "ban"


def test_a_manager_also_bans_a_facebook_commenter_from_the_page_and_unblocking_lets_them_back(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    troll = new_customer(stack, f"{suffix}p")
    # GIVEN the manager asked to confirm a block of a Facebook commenter
    console.sign_in("manager")
    open_conversation(console, troll["conversation"])
    console.find("#block-start").click()
    # THEN she is offered to ban them from the Facebook Page too, with what that does there; with the 7 days offered
    # first it is unticked and disabled, and says why
    tick = console.find("#block-on-platform")
    assert console.find('label[for="block-on-platform"]').text == "Also ban from the Facebook Page"
    assert console.find("#block-ban-what").text == (
        "They will no longer be able to comment on, react to, message or post to the Facebook Page. Facebook is asked "
        "first: if it refuses, nothing is blocked.")
    assert Select(console.find("#block-duration")).first_selected_option.text == "7 days"
    assert not tick.is_enabled() and not tick.is_selected()
    assert console.find("#block-ban-timed").text == 'Only with "Until unblocked": it does not end by itself on Facebook.'
    # WHEN she chooses "Until unblocked" THEN she may tick it, and the hint goes
    Select(console.find("#block-duration")).select_by_visible_text("Until unblocked")
    assert tick.is_enabled() and not console.all("#block-ban-timed:not([hidden])")
    tick.click()
    assert tick.is_selected()
    # AND choosing a duration again unticks and disables it
    Select(console.find("#block-duration")).select_by_visible_text("30 days")
    assert not tick.is_enabled() and not tick.is_selected()
    console.text_in("#block-ban-timed", "Until unblocked")
    Select(console.find("#block-duration")).select_by_visible_text("Until unblocked")
    tick.click()
    console.find("#block-reason-input").send_keys(f"harassment {suffix}")
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#block")
    screenshot("block-ban-ask")

    # GIVEN Facebook refusing the ban (the Page token may not moderate the Page)
    stack.fake_fail("graph_permission")
    # WHEN she confirms THEN the refusal is said in words beside the button, nothing is blocked or banned
    console.find("#block-confirm").click()
    console.text_in("#block-error", "The Facebook channel's access may not ban people, so nothing was blocked: ask an "
                                    "admin to reconnect it with that permission.")
    assert block_of(stack, troll["author_id"]) is None and page_bans(stack, troll["author_id"]) == []
    assert console.find("#block-on-platform").is_selected()  # the question stays as she left it, to try again
    # GIVEN Facebook asking to slow down WHEN she confirms again THEN she is told when to try again, in seconds
    stack.fake_fail("graph_rate_limit")
    console.find("#block-confirm").click()
    console.text_in("#block-error", "Facebook asks to slow down, so nothing was blocked. Try again in 300 seconds: "
                                    "doing it twice is safe.")
    assert block_of(stack, troll["author_id"]) is None and page_bans(stack, troll["author_id"]) == []
    scroll_to(console, "#block")
    screenshot("block-ban-refused")

    # WHEN Facebook does it
    console.find("#block-confirm").click()
    # THEN it is said; Facebook has them banned from the Page their comment came to, and the block records it
    console.text_in("#notice", "Blocked: their new messages will be kept out of the queues. They are banned from the "
                               "Facebook Page too.")
    block = block_of(stack, troll["author_id"])
    assert block and block["expires_at"] is None and block["platform_ban"]["account"] == PAGE, block
    assert page_bans(stack, troll["author_id"]) == ["ban"] and banned_on_page(stack, troll["author_id"])
    # AND the panel says so, and that Unblock lets them back on the Page
    notice = console.find("#block-notice")
    assert notice.text == (f"Blocked by Mana (manager) · {in_zone(console, block['blocked_at'])} (until unblocked) · "
                           "also banned from the Facebook Page"), notice.text
    assert console.find("#unblock-also").text == "Unblocking lets them back on the Facebook Page too."
    assert "unblock-also" in console.find("#unblock").get_attribute("aria-describedby")
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#block")
    screenshot("block-banned")
    # AND in Japanese
    Select(console.find("#language")).select_by_value("ja")
    console.text_in("#block-notice", "Facebook ページからも禁止中")
    assert console.find("#unblock-also").text == "ブロックを解除すると、Facebook ページからの禁止も解除されます。"
    scroll_to(console, "#block")
    screenshot("block-banned-ja")
    Select(console.find("#language")).select_by_value("en")

    # WHEN she opens Blocked customers THEN the row says they are banned from the Page, and so does Unblock's question
    console.find('nav a[href="#/blocked"]').click()
    row = blocked_row(troll["author_id"])
    assert console.find(f"{row} .blocked-on-platform").text == "Banned from the Facebook Page"
    console.find(f'{row} button[data-action="unblock"]').click()
    console.text_in(f"{row} .unblock-question", f"Unblock {troll['name']}? Their new messages will go to the queues "
                                                "again. Unblocking lets them back on the Facebook Page too.")
    assert not console.low_contrast()
    screenshot("blocks-banned")
    Select(console.find("#language")).select_by_value("ja")
    assert console.find(f"{row} .blocked-on-platform").text == "Facebook ページから禁止"
    screenshot("blocks-banned-ja")
    Select(console.find("#language")).select_by_value("en")

    # GIVEN Facebook not answering WHEN she unblocks from the panel THEN it is said, and nothing changed
    open_conversation(console, troll["conversation"])
    console.text_in("#block-notice", "also banned from the Facebook Page")
    stack.fake_fail("graph_unavailable")
    console.find("#unblock").click()
    console.text_in("#block-error", "Facebook did not answer, so nothing changed: they are still blocked. Try again: "
                                    "doing it twice is safe.")
    assert block_of(stack, troll["author_id"]) is not None and banned_on_page(stack, troll["author_id"])
    # WHEN she unblocks again THEN they are let back on the Page, and unblocked
    console.find("#unblock").click()
    console.text_in("#notice", "Unblocked: their new messages go to the queues again. What was held back stays as it "
                               "is. They are let back on the Facebook Page too.")
    assert console.driver.switch_to.active_element == console.find("#block-start")
    assert block_of(stack, troll["author_id"]) is None
    assert page_bans(stack, troll["author_id"]) == ["ban", "unban"] and not banned_on_page(stack, troll["author_id"])


def test_the_ban_is_offered_in_the_platforms_words_and_never_on_instagram(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    # GIVEN an Instagram commenter and a WhatsApp customer, each with a conversation in customer_service
    insta_text = f"My order {suffix} arrived broken, I want my money back"
    stack.webhook(payloads.instagram_comment(f"1790000{secrets.randbelow(10 ** 9):09d}", insta_text,
                                             author_id=f"178{secrets.randbelow(10 ** 12):012d}"))
    insta = settled_in_customer_service(stack, insta_text)
    whatsapp_text = f"Order {suffix} is late again and nobody answers, refund me"
    stack.webhook(payloads.whatsapp_text(f"wamid.{secrets.token_hex(8)}", whatsapp_text,
                                         sender=f"8190{secrets.randbelow(10 ** 8):08d}"))
    whatsapp = settled_in_customer_service(stack, whatsapp_text)
    console.sign_in("manager")
    # WHEN the manager is asked to confirm a block of the Instagram customer
    open_conversation(console, insta)
    console.find("#block-start").click()
    Select(console.find("#block-duration")).select_by_visible_text("Until unblocked")
    # THEN no ban on the platform is offered (Instagram offers none): the block is only the inbox's
    console.text_in("#block-question", "on Instagram?")
    assert not console.all("#block-on-platform") and not console.all("#block-ban-what")
    screenshot("block-instagram")
    console.find("#block-cancel").click()
    # WHEN she is asked to confirm a block of the WhatsApp customer THEN it is a block on WhatsApp, said as such
    open_conversation(console, whatsapp)
    console.find("#block-start").click()
    Select(console.find("#block-duration")).select_by_visible_text("Until unblocked")
    assert console.find('label[for="block-on-platform"]').text == "Also block on WhatsApp"
    console.text_in("#block-ban-what", "WhatsApp blocks only someone who wrote in the last 24 hours.")
    assert console.find("#block-on-platform").is_enabled()
    # AND in Japanese, in the team's words
    Select(console.find("#language")).select_by_value("ja")
    console.find("#block-start").click()
    Select(console.find("#block-duration")).select_by_visible_text("ブロックを解除するまで")
    assert console.find('label[for="block-on-platform"]').text == "WhatsApp でもブロックする"
    console.text_in("#block-ban-what", "過去 24 時間以内にメッセージを送ってきた人だけです。先に WhatsApp に依頼します。")
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#block")
    screenshot("block-whatsapp-ja")
    # AND a duration disables it, saying why
    Select(console.find("#block-duration")).select_by_visible_text("7 日間")
    assert not console.find("#block-on-platform").is_enabled()
    assert console.find("#block-ban-timed").text == ("「ブロックを解除するまで」のときだけ選べます(WhatsApp 側は期限で"
                                                     "自動的に解除されないため)。")
    screenshot("block-whatsapp-timed-ja")
    Select(console.find("#language")).select_by_value("en")
