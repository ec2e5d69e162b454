"""The open conversation follows its thread, against `make run`'s stack (see conftest.py).

GIVEN an agent with a conversation open and a reply half typed
WHEN the customer writes again, and later a colleague leaves a note
THEN the new message is added to the thread and announced without redrawing what she types, and the other change
is offered ("Show it as it is now"), which keeps her draft.
"""

from __future__ import annotations

import secrets

import pytest

import payloads

from .conftest import REQUIRED, conversation_in_customer_service

try:
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)


def come_back_to_the_tab(console) -> None:
    """What the browser does when she returns to the tab (the console also reads again every 15 s)."""
    console.driver.execute_script("document.dispatchEvent(new Event('visibilitychange'))")


def change_offered(console) -> bool:
    return any(e.is_displayed() for e in console.all("#detail-changed"))


def thread_texts(console) -> list[str]:
    return [e.text for e in console.all(".thread article.message .text")]


def test_a_new_customer_message_joins_the_open_conversation_and_other_changes_are_offered(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    comment_id = f"104857600000001_{880000 + secrets.randbelow(10_000)}"
    first = f"The blender {suffix} arrived with a cracked lid, order 5520"
    # GIVEN a conversation in customer_service that the agent holds and has open, with a reply half typed
    conversation = conversation_in_customer_service(stack, first, "55577001", "Rui Tanaka", comment_id)
    status, taken = stack.call("POST", f"/conversations/{conversation}/claim", key=stack.keys["agent"])
    assert status == 200, taken
    console.sign_in("agent")
    console.driver.get(console.url + f"#/work/customer_service/{conversation}")
    console.text_in(".detail-head", "Rui Tanaka")
    assert thread_texts(console) == [first]
    console.find("#reply-text").send_keys("Sorry about the lid, we will send")
    # WHEN the customer writes again in her thread
    again = f"Also the box {suffix} was already open when it came"
    reply = payloads.page_comment(f"{comment_id}9", again, author_id="55577001", parent_id=comment_id)
    reply["entry"][0]["changes"][0]["value"]["from"]["name"] = "Rui Tanaka"
    stack.webhook(reply)
    come_back_to_the_tab(console)
    # THEN it is added to the thread and announced, and what she typed is untouched
    console.wait(lambda d: thread_texts(console) == [first, again], "the new message joins the thread")
    console.text_in("#notice", "A new message from the customer, added below.")
    assert console.find("#reply-text").get_attribute("value") == "Sorry about the lid, we will send"
    assert not change_offered(console)
    screenshot("follow-new-message")
    # WHEN a manager leaves a team note on it
    status, note = stack.call("POST", f"/conversations/{conversation}/notes", key=stack.keys["manager"],
                              body={"text": f"Replacement lid {suffix} is on its way", "idempotency_key": f"n-{suffix}"})
    assert status == 201, note
    come_back_to_the_tab(console)
    # THEN the change is offered, not drawn under her
    console.wait(lambda d: change_offered(console), "the change is offered")
    assert f"Replacement lid {suffix}" not in console.find(".thread").text
    # WHEN she asks for it THEN the conversation is shown as it is now, her draft still in the reply box
    console.find("#detail-show-now").click()
    console.text_in(".thread", f"Replacement lid {suffix} is on its way")
    assert console.find("#reply-text").get_attribute("value") == "Sorry about the lid, we will send"
    assert not change_offered(console)
    assert not console.low_contrast() and not console.unlabelled()


def test_without_coming_back_to_the_tab_the_thread_is_read_again_on_its_own(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    comment_id = f"104857600000001_{890000 + secrets.randbelow(10_000)}"
    first = f"My voucher {suffix} code is refused at checkout"
    conversation = conversation_in_customer_service(stack, first, "55577002", "Ken Ito", comment_id)
    console.sign_in("agent")
    console.driver.get(console.url + f"#/work/customer_service/{conversation}")
    console.text_in(".detail-head", "Ken Ito")
    # WHEN the customer writes again and she does nothing
    again = f"It says expired {suffix} but it is valid until March"
    stack.webhook(payloads.page_comment(f"{comment_id}9", again, author_id="55577002", parent_id=comment_id))
    # THEN within the console's interval (15 s) and the usual wait, it is in the thread
    WebDriverWait(console.driver, 15 + 20, poll_frequency=0.5).until(
        lambda d: again in thread_texts(console), "the periodic read adds it")


def test_a_conversation_moved_out_of_her_queues_says_so_once_and_is_no_longer_read(console):
    stack = console.stack
    suffix = secrets.token_hex(3)
    comment_id = f"104857600000002_{890000 + secrets.randbelow(10_000)}"
    first = f"My refund {suffix} for order 5521 has not arrived"
    # GIVEN an agent of customer_service with one of its conversations open
    conversation = conversation_in_customer_service(stack, first, "55577002", "Mei Sato", comment_id)
    console.sign_in("agent")
    console.driver.get(console.url + f"#/work/customer_service/{conversation}")
    console.text_in(".detail-head", "Mei Sato")
    # WHEN a manager moves it to a queue she does not work
    status, moved = stack.call("POST", f"/conversations/{conversation}/reroute", key=stack.keys["manager"],
                               body={"queue": "stance", "reason": "about our statement"})
    assert status == 200, moved
    come_back_to_the_tab(console)
    # THEN the console says it is no longer hers to see, and stops reading it
    console.wait(lambda d: change_offered(console), "the move is said")
    console.text_in("#detail-changed", "no longer yours to see")
    requests = console.driver.execute_script("return performance.getEntriesByType('resource').length")
    come_back_to_the_tab(console)
    come_back_to_the_tab(console)
    reads = console.driver.execute_script(
        "return performance.getEntriesByType('resource').slice(arguments[0])"
        ".filter((e) => e.name.includes('/conversations/')).length", requests)
    assert reads == 0
