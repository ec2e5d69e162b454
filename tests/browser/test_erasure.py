"""Erasing a customer's personal data from the console (POST /erasures, admins only), against `make run`'s stack (see
conftest.py).

GIVEN a customer of their own (an author id no other test uses) with two conversations in customer_service, a later
message of theirs and a team note
WHEN an admin opens one, presses "Erase this customer's data", reads the warning and confirms
THEN the erasure is sent until the API says done (the count shown as it goes), and every message they wrote, in both
conversations, and the note say in words that they were erased, in the thread, the list and the customer's other
conversations, in English and Japanese; the customer's words are nowhere on the page. A manager or an agent is never
offered it; a refusal is said in words, with what was erased before it; a comment its author deleted on Facebook
says so. The admin downloads what is kept of the customer (GET /customer-data, every page) as a JSON file.
"""

from __future__ import annotations

import json
import secrets
import time

import pytest

import payloads
from support import TEST_ENV

from .conftest import (REQUIRED, WAIT, article, conversation_in_customer_service, open_conversation, page_text,
                       request, scroll_to)

try:
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

POST = "104857600000001_900001"  # conversation_in_customer_service's post


def later_comment(stack, head: str, text: str, author_id: str, author: str) -> str:
    """A later comment by the same customer under their own (it joins the head's conversation): its id."""
    native = f"{POST}_{secrets.randbelow(10 ** 12)}"
    payload = payloads.page_comment(native, text, author_id=author_id, parent_id=head.split(":", 1)[1])
    payload["entry"][0]["changes"][0]["value"]["from"]["name"] = author
    stack.webhook(payload)
    deadline = time.monotonic() + WAIT
    while True:
        status, conversation = stack.call("GET", f"/conversations/{head}")
        assert status == 200, conversation
        later = [m["id"] for m in conversation["messages"] if m["text"] == text]
        if later:
            return later[0]
        assert time.monotonic() < deadline, "the later comment never joined its conversation"
        time.sleep(0.1)


def customer(stack, suffix: str, name: str) -> dict:
    """A customer's two conversations in customer_service (the older one with a later message of theirs, a reply sent
    from here and a team note): {'author_id', 'older', 'later', 'newer', 'words': every text they wrote or that was
    written to or about them}."""
    author_id = f"8{secrets.randbelow(10 ** 9):09d}"
    texts = [f"My address is 1-2-3 Shibuya {suffix}, the parcel never came", f"Call me on 090-{suffix} please",
             f"Still waiting for order {suffix}, my email is rin.{suffix}@example.com"]
    older = conversation_in_customer_service(stack, texts[0], author_id, name)
    later = later_comment(stack, older, texts[1], author_id, name)
    note = f"Customer {suffix} called, VIP"
    status, body = stack.call("POST", f"/conversations/{older}/notes",
                              body={"text": note, "idempotency_key": f"note-{suffix}"})
    assert status in (200, 201), body
    reply = f"Sorry {name}, a new parcel {suffix} is on its way"
    status, body = stack.call("POST", f"/conversations/{older}/claim", body={})
    assert status == 200, body
    status, body = stack.call("POST", f"/conversations/{older}/replies",
                              body={"text": reply, "idempotency_key": f"reply-{suffix}"})
    assert status in (200, 201, 202), body
    newer = conversation_in_customer_service(stack, texts[2], author_id, name)
    return {"author_id": author_id, "older": older, "later": later, "newer": newer,
            "words": [*texts, note, reply, name]}


# the API cuts an erasure to its request's time budget and answers done: false; a customer this small is erased in one
# request, so the page's fetch says the first answer is not done (the work it did stays done) and holds the next one a
# moment, for the count shown meanwhile to be read
SLOW_FIRST_ROUND = """
window.__erasures = 0;
const real = window.fetch.bind(window);
window.fetch = async (url, init) => {
  if (!String(url).endsWith('/erasures') || (init || {}).method !== 'POST') return real(url, init);
  window.__erasures += 1;
  const response = await real(url, init);
  if (window.__erasures > 1) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return response;
  }
  const body = await response.json();
  return new Response(JSON.stringify({ ...body, done: false }),
    { status: response.status, headers: { 'Content-Type': 'application/json' } });
};
"""

# the first request goes through; the second is refused as a busy service (503), as a throttled table would be
REFUSED_SECOND_ROUND = """
window.__erasures = 0;
const real = window.fetch.bind(window);
window.fetch = async (url, init) => {
  if (!String(url).endsWith('/erasures') || (init || {}).method !== 'POST') return real(url, init);
  window.__erasures += 1;
  if (window.__erasures === 2) {
    return new Response(JSON.stringify({ error: { code: 'service_unavailable', message: 'busy' } }),
      { status: 503, headers: { 'Content-Type': 'application/json' } });
  }
  const response = await real(url, init);
  if (window.__erasures > 1) return response;
  const body = await response.json();
  return new Response(JSON.stringify({ ...body, done: false }),
    { status: response.status, headers: { 'Content-Type': 'application/json' } });
};
"""


def test_an_admin_erases_a_customers_data_in_two_steps_and_every_place_says_so(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    rin = customer(stack, suffix, f"Rin Sato {suffix}")
    # GIVEN the admin on the customer's newer conversation: their older one is listed below it
    console.sign_in("admin")
    open_conversation(console, rin["newer"])
    console.wait(lambda d: [e.get_attribute("data-id") for e in console.all("#customer-list > li")] == [rin["older"]],
                 "the older conversation listed")
    console.text_in("#erasure-title", "This customer's personal data")
    start = console.find("#erasure-start")
    assert start.text == "Erase this customer's data"
    # WHEN she presses it THEN she is told what it does first, and nothing is sent
    start.click()
    warning = console.text_in("#erasure-warning", "This cannot be undone.")
    assert warning.text.startswith(f"Erase everything Rin Sato {suffix} wrote? Every message this customer wrote on "
                                   "Facebook, in every conversation, loses its text and their name; so do the replies "
                                   "and team notes in the conversations they opened."), warning.text
    console.text_in("#erasure-platform", "Nothing changes on Facebook: to delete a comment there as well, use Delete on it.")
    confirm = console.find("#erasure-confirm")
    assert confirm.text == "Erase for good" and console.driver.switch_to.active_element == confirm
    assert stack.call("GET", f"/messages/{rin['newer']}")[1]["text"] == rin["words"][2]
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#erasure")
    screenshot("erasure-confirm")
    # AND Cancel takes the question back
    console.find("#erasure-cancel").click()
    assert console.driver.switch_to.active_element == console.find("#erasure-start")
    # WHEN she confirms, with a reason
    console.find("#erasure-start").click()
    console.find("#erasure-reason").send_keys("asked by email, ticket 4471")
    console.driver.execute_script(SLOW_FIRST_ROUND)
    console.find("#erasure-confirm").click()
    # THEN the count so far is shown while it goes on, then what was erased, and the conversation as it now is
    console.text_in("#erasure-status", "messages so far…")
    # (three messages: both heads and the later one; two conversations, as the API counted them over two requests)
    console.text_in("#notice", "Erased. Messages erased: 3. Conversations: 2.")
    assert console.driver.execute_script("return window.__erasures") == 2
    # who erased it (the admin, by name) and when, in words
    console.text_in(f"{article(rin['newer'])} .text.erased", "Erased at the customer's request · bootstrap admin · ")
    console.text_in("#detail-title", "Erased customer")
    # (the model's deciding terms were words of the text: said to be erased with it, not "decided on its prior")
    console.wait(lambda d: "Not kept: they were words of the text, erased with it." in page_text(console),
                 "the deciding terms said to be erased")
    # AND the customer's older conversation, listed below, and the list's rows say so too
    row = console.find(f'#customer-list li[data-id="{rin["older"]}"] .snippet.erased')
    assert row.text.startswith("Erased at the customer's request · bootstrap admin · "), row.text
    # AND their words are nowhere on the page
    console.wait(lambda d: not any(word in page_text(console) for word in rin["words"]), "the customer's words gone")
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, ".thread")
    screenshot("erasure-done")
    # AND the older conversation: both their messages, the reply and the team note read as erased
    open_conversation(console, rin["older"])
    for message in (rin["older"], rin["later"]):
        console.text_in(f"{article(message)} .text.erased", "Erased at the customer's request")
    console.text_in(".thread .note .text.erased", "Erased at the customer's request")
    console.text_in(".thread .reply .text.erased", "Erased at the customer's request")
    assert not any(word in page_text(console) for word in rin["words"])
    # AND the API keeps the items, without their words
    status, detail = stack.call("GET", f"/conversations/{rin['older']}")
    assert status == 200 and [m["text"] for m in detail["messages"]] == ["", ""]
    assert all(m["erased"]["reason"] == "customer_request" for m in detail["messages"])
    # AND in Japanese
    Select(console.find("#language")).select_by_value("ja")
    console.text_in(f"{article(rin['older'])} .text.erased", "お客様の依頼により消去")
    console.text_in("#detail-title", "消去済みのお客様")
    console.text_in("#erasure-title", "このお客様の個人データ")
    scroll_to(console, ".thread")
    screenshot("erasure-done-ja")
    # AND asked again, the customer is named by their id, their name being gone
    console.find("#erasure-start").click()
    console.text_in("#erasure-warning", f"ID {rin['author_id']} のお客様が書いたものをすべて消去しますか？")
    console.text_in("#erasure-warning", "元に戻すことはできません。")
    scroll_to(console, "#erasure")
    screenshot("erasure-confirm-ja")


# the API's pages are 25 messages: this customer's three come in one, so the page's fetch cuts the first answer to its
# first message with a cursor of its own, and answers that cursor (a moment later, for the count read so far to be
# seen) with the rest of the real answer; `__refuse`: that second page is refused as a busy service (503)
TWO_PAGES = """
window.__pages = [];
window.__refuse = false;
const real = window.fetch.bind(window);
window.fetch = async (url, init) => {
  const address = new URL(String(url));
  if (!address.pathname.endsWith('/customer-data')) return real(url, init);
  const cursor = address.searchParams.get('cursor');
  window.__pages.push(cursor);
  const answer = (body) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  if (cursor === 'second') {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    if (window.__refuse) {
      return new Response(JSON.stringify({ error: { code: 'service_unavailable', message: 'busy' } }),
        { status: 503, headers: { 'Content-Type': 'application/json' } });
    }
    address.searchParams.delete('cursor');
    const body = await (await real(address, init)).json();
    return answer({ ...body, messages: body.messages.slice(1) });
  }
  const body = await (await real(url, init)).json();
  return answer({ ...body, messages: body.messages.slice(0, 1), next_cursor: 'second' });
};
"""


def test_an_admin_downloads_what_is_kept_of_a_customer_as_a_json_file(console, downloads, screenshot):
    stack = console.stack
    if "/customer-data" not in stack.call("GET", "/openapi.json", key="")[1]["paths"]:
        pytest.skip("the customer data API is not in this build yet")
    suffix = secrets.token_hex(3)
    aya = customer(stack, suffix, f"Aya Mori {suffix}")
    # GIVEN the admin on the customer's conversation: the download beside the erasure
    console.sign_in("admin")
    open_conversation(console, aya["newer"])
    button = console.find("#customer-data-download")
    assert button.text == "Download this customer's data"
    assert button.find_element("xpath", "..") == console.find("#erasure-start").find_element("xpath", "..")
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#erasure")
    screenshot("customer-data")
    # WHEN she presses it THEN every page is read (the count shown as it goes), and the file is downloaded
    console.driver.execute_script(TWO_PAGES)
    button.click()
    console.text_in("#erasure-status", "Read 1 message…")
    console.text_in("#notice", "Downloaded: 3 messages kept of this customer.")
    assert console.driver.execute_script("return window.__pages") == [None, "second"]
    path = downloads / f"customer-data-facebook-{aya['author_id']}.json"

    def landed(_):
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    document = console.wait(landed, "the JSON file lands in the downloads")
    assert document["platform"] == "facebook" and document["author_id"] == aya["author_id"]
    assert document["exported_at"].endswith("Z")
    # their three messages, oldest first, as the API gives them; the brand's reply and the team's note are not theirs
    assert [m["id"] for m in document["messages"]] == [aya["older"], aya["later"], aya["newer"]]
    assert [m["text"] for m in document["messages"]] == aya["words"][:3]
    # AND a refusal midway is said in words, with what was read before it, and no file is made
    path.unlink()
    console.driver.execute_script("window.__refuse = true")
    console.wait(lambda d: button.is_enabled(), "Download enabled again")
    button.click()
    refusal = console.text_in("#erasure-error", "The service is busy or unavailable. Try again in a moment.")
    assert refusal.text.endswith("Messages read before this: 1. No file was made; press Download again to start over.")
    assert not path.exists()
    # AND in Japanese
    Select(console.find("#language")).select_by_value("ja")
    console.wait(lambda d: console.find("#customer-data-download").text == "このお客様のデータをダウンロード",
                 "the button in Japanese")
    scroll_to(console, "#erasure")
    screenshot("customer-data-ja")


def test_a_manager_or_an_agent_is_never_offered_it(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    head = conversation_in_customer_service(stack, f"Where is my order {suffix}?", f"8{secrets.randbelow(10 ** 9):09d}",
                                            "Kai Ito")
    for role in ("manager", "agent"):
        console.driver.execute_script("localStorage.clear(); sessionStorage.clear();")
        console.sign_in(role)
        open_conversation(console, head)
        console.find("#reply-text" if role == "manager" else ".detail-head")
        assert not console.all("#erasure") and not console.all("#erasure-start"), role
        assert not console.all("#customer-data-download"), role
    # the API refuses them too
    status, body = stack.call("POST", "/erasures", key=stack.keys["manager"],
                              body={"platform": "facebook", "author_id": "1"})
    assert status == 403, body


def test_a_refusal_midway_is_said_in_words_with_what_was_erased_and_pressing_again_finishes(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    ken = customer(stack, suffix, f"Ken Abe {suffix}")
    console.sign_in("admin")
    open_conversation(console, ken["newer"])
    console.find("#erasure-start").click()
    console.driver.execute_script(REFUSED_SECOND_ROUND)
    confirm = console.find("#erasure-confirm")
    confirm.click()
    # THEN the refusal in words, and what the first request erased
    refusal = console.text_in("#erasure-error", "The service is busy or unavailable. Try again in a moment.")
    assert refusal.text.endswith("Messages erased before this: 3. Press Erase for good again to finish: it goes on "
                                 "where it stopped.") and refusal.get_attribute("role") == "alert"
    assert not console.low_contrast()
    scroll_to(console, "#erasure")
    screenshot("erasure-refused")
    # WHEN she presses Erase for good again THEN it finishes
    console.wait(lambda d: confirm.is_enabled(), "Erase for good enabled again")
    confirm.click()
    # (the whole erasure counted: what the first press erased before the refusal, and nothing left after it)
    console.text_in("#notice", "Erased. Messages erased: 3. Conversations: 2.")
    console.text_in(f"{article(ken['newer'])} .text.erased", "Erased at the customer's request")


def test_a_comment_its_author_deleted_on_facebook_keeps_no_text_and_says_so(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    author_id = f"8{secrets.randbelow(10 ** 9):09d}"
    head = conversation_in_customer_service(stack, f"Is the Osaka store open {suffix}?", author_id, "Mei Kato")
    text = f"oops wrong account {suffix}, my card number is 4111"
    later = later_comment(stack, head, text, author_id, "Mei Kato")
    # WHEN its author deletes it on Facebook (the feed's `remove` verb)
    removal = payloads.page_comment(later.split(":", 1)[1], "", author_id=author_id, verb="remove",
                                    parent_id=head.split(":", 1)[1])
    body = json.dumps(removal).encode()
    status, _, raw = request(stack.base, "POST", "/webhooks/meta", body=body,
                             headers=payloads.meta_headers(body, secret=TEST_ENV["META_APP_SECRET"]))
    assert status == 200, raw
    deadline = time.monotonic() + WAIT
    while "erased" not in stack.call("GET", f"/messages/{later}")[1]:
        if time.monotonic() > deadline:
            pytest.skip("this API keeps the text of a comment deleted on the platform (it does not erase it yet)")
        time.sleep(0.1)
    # THEN the console says so in its place, and the text is nowhere
    console.sign_in("agent")
    open_conversation(console, head)
    console.text_in(f"{article(later)} .text.erased", "Deleted by its author on Facebook; its text is not kept")
    assert text not in page_text(console)
    assert not console.low_contrast()
    scroll_to(console, ".thread")
    screenshot("erasure-deleted-on-platform")
    Select(console.find("#language")).select_by_value("ja")
    console.text_in(f"{article(later)} .text.erased", "投稿者がFacebookで削除したため、本文は保存していません")
    screenshot("erasure-deleted-on-platform-ja")
