"""Routing rules from the console (GET and PUT /routing-rules; managers and admins), against `make run`'s stack (see
conftest.py): a stack of its own, so that no message arrives before the rules are saved (each API container reads the
rules again at most every 30 s) and the session's queues are not routed by them.

GIVEN a manager on Routing rules (beside Satisfaction survey)
WHEN she adds a rule (the words "recall", to Customer service, the tag "recall") and saves
THEN it is listed with its conditions and actions in words, and after a reload it is still there with who saved it and
when; in Japanese the view reads in Japanese. A customer's comment with "recall" in it then lands in Customer service,
and its conversation says "Routed by rule “…” (the model said …)" with "Rule: …" among the priority reasons. A save by
someone else meanwhile is said in words, what was typed stays, and the current ones load. Rules move up and down and
are deleted in two steps; a rule without a condition is refused before anything is sent. An agent has neither the link
nor the view.

GIVEN a manager on Routing rules
WHEN she adds a rule on the words "tracking" that also replies automatically to direct messages, and saves
THEN the list says it replies (with the reply's first words), and after a reload it is kept, the form reading its reply
back; a rule whose only action is a reply is accepted; a reply too long for an Instagram DM is counted in bytes and
the API's refusal is said beside the reply, naming Instagram.
"""

from __future__ import annotations

import secrets
import time

import pytest

import payloads

from .conftest import REQUIRED, WAIT, blank_console, open_conversation, scroll_to, staffed_stack, type_into

try:
    import selenium  # noqa: F401
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)


@pytest.fixture(scope="module")
def rules_stack(tmp_path_factory):
    """A stack of its own, and a manager's and an agent's key."""
    with staffed_stack(tmp_path_factory.mktemp("rules-stack")) as stack:
        yield stack


@pytest.fixture
def rules_console(driver, rules_stack, screens, request):
    yield from blank_console(driver, rules_stack, screens, request)


def current(stack) -> dict:
    status, answer = stack.call("GET", "/routing-rules")
    assert status == 200, answer
    return answer


def saved_by_someone_else(stack, rules: list[dict]) -> dict:
    """The admin saves the whole list at the revision stored now, as a colleague in another tab would."""
    status, answer = stack.call("PUT", "/routing-rules", body={"rules": rules, "rev": current(stack)["rev"]})
    assert status == 200, answer
    return answer


def rule(name: str, words: list[str], queue: str | None = "stance", **more) -> dict:
    return {"name": name, "enabled": True, "words": words, "platforms": [], "channels": [], "languages": [],
            "queue": queue, "tags": [], "priority_boost": 0, **more}


def names(console) -> list[str]:
    return [e.text.split(". ", 1)[1] for e in console.all(".rules-list .rule-name")]


def test_a_manager_adds_a_rule_and_a_message_with_its_word_is_routed_by_it(rules_console, screenshot):
    console, stack = rules_console, rules_console.stack
    # GIVEN a manager: Routing rules is in the navigation, beside Satisfaction survey
    console.sign_in("manager")
    assert [e.text for e in console.all("nav a")] == [
        "Queues", "Stats", "Saved replies", "WhatsApp templates", "Away message", "Satisfaction survey", "Routing rules",
        "Blocked customers"]
    console.find('nav a[href="#/rules"]').click()
    console.text_in("#rules-saved-by", "Not saved yet.")
    # WHEN she adds a rule: the words "recall", to Customer service, the tag "recall"
    name = f"Product recall {secrets.token_hex(2)}"
    type_into(console, "#rule-name", name)
    assert console.find("#rule-enabled").is_selected()  # a new rule is on
    type_into(console, "#rule-words", "recall\n回収")
    console.find("#rule-platform-facebook").click()
    console.find("#rule-queue option[value=customer_service]").click()
    type_into(console, "#rule-tags", "recall")
    type_into(console, "#rule-boost", "20")
    console.find("#rule-submit").click()
    # THEN it is said, listed in words, and the API keeps it
    console.text_in("#notice", f"Rule “{name}” added.")
    item = console.text_in(".rules-list .rule-item", name)
    assert "Text has any of: recall, 回収 · on Facebook" in item.text
    assert "→ Customer service · tags: recall · priority +20" in item.text
    assert "On" in console.find(".rule-item .badge").text
    stored = current(stack)
    assert stored["rev"] >= 1 and len(stored["rules"]) == 1, stored
    saved = stored["rules"][0]
    assert saved["name"] == name and saved["words"] == ["recall", "回収"] and saved["queue"] == "customer_service"
    assert saved["tags"] == ["recall"] and saved["priority_boost"] == 20 and saved["platforms"] == ["facebook"]
    assert len(saved["id"]) == 16
    # AND after a reload it is still there, with who saved it and when
    console.driver.refresh()
    console.text_in(".rules-list .rule-item", name)
    console.text_in("#rules-saved-by", "Last saved")
    assert "Mana (manager)" in console.find("#rules-saved-by").text
    assert console.all("#rules-saved-by time"), "when they were saved, as a time in the chosen zone"
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("routing-rules")

    # WHEN a customer's Facebook comment with the word arrives
    text = f"Is my blender part of the RECALL? Serial {secrets.randbelow(10 ** 6)}"
    comment = payloads.page_comment(f"104857600000001_{secrets.randbelow(10 ** 12)}", text,
                                    author_id=f"777{secrets.randbelow(10 ** 6):06d}")
    stack.webhook(comment)
    # THEN the rule routed it to Customer service, saying what the model said
    message = stack.settled(stack.find(text)["id"])
    assert message["queue"] == "customer_service", message
    assert message["triage"]["rule"]["name"] == name, message["triage"]
    assert f"rule:{name}" in message["priority_reasons"], message["priority_reasons"]
    console.open("#/work")
    open_conversation(console, message["id"])
    model_said = console.find("#routed-by").text
    assert model_said.startswith(f"Routed by rule “{name}” (the model said "), model_said
    console.text_in(".triage .reason", f"Rule: {name}")
    console.text_in(".history li", f"Routed by a rule · a routing rule — rule: {name}")
    assert not console.low_contrast()
    scroll_to(console, "#routed-by")
    screenshot("routed-by-rule")

    # AND in Japanese the view and the conversation read in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("#routed-by", f"ルール「{name}」で振り分け")
    console.text_in('nav a[href="#/rules"]', "振り分けルール")
    console.find('nav a[href="#/rules"]').click()
    console.text_in("label[for=rule-enabled]", "オン: 新しいメッセージにこのルールを適用する")
    console.text_in(".rules-list .rule-item", "本文に次のいずれかを含む: recall、回収")


def test_a_save_meanwhile_is_said_and_the_current_ones_load_without_losing_what_was_typed(rules_console):
    console, stack = rules_console, rules_console.stack
    # GIVEN the manager on the view, at the revision stored now
    console.sign_in("manager")
    console.driver.get(console.url + "#/rules")
    console.find("#rules-saved-by")
    console.find("#rule-name")
    # WHEN a colleague saves meanwhile, then she adds her own rule
    theirs = f"Boycott {secrets.token_hex(2)}"
    saved_by_someone_else(stack, [*current(stack)["rules"], rule(theirs, ["#boycott"])])
    mine = f"Outage {secrets.token_hex(2)}"
    type_into(console, "#rule-name", mine)
    type_into(console, "#rule-words", "outage, down")
    console.find("#rule-queue option[value=customer_service]").click()
    console.find("#rule-submit").click()
    # THEN she is told, in words, that someone else changed them; nothing of hers was saved and her form is as typed
    console.text_in("#rules-conflict", "Someone else changed the routing rules while you were editing")
    assert mine not in [r["name"] for r in current(stack)["rules"]]
    assert console.find("#rule-name").get_attribute("value") == mine
    # WHEN she loads the current ones THEN theirs is listed, her form is still there, and saving it adds hers
    console.find("#rules-load-current").click()
    console.text_in(".rules-list .rule-item", theirs)
    assert console.find("#rule-name").get_attribute("value") == mine
    assert console.find("#rule-words").get_attribute("value") == "outage, down"
    console.find("#rule-submit").click()
    console.text_in("#notice", f"Rule “{mine}” added.")
    stored = [r["name"] for r in current(stack)["rules"]]
    assert stored[-2:] == [theirs, mine], stored


def test_rules_move_up_and_down_and_are_deleted_in_two_steps(rules_console):
    console, stack = rules_console, rules_console.stack
    first, second = f"First {secrets.token_hex(2)}", f"Second {secrets.token_hex(2)}"
    saved_by_someone_else(stack, [rule(first, ["alpha"]), rule(second, ["beta"], tags=["beta"])])
    console.sign_in("manager")
    console.driver.get(console.url + "#/rules")
    console.text_in(".rules-list .rule-item", second)
    assert names(console) == [first, second]
    ids = [r["id"] for r in current(stack)["rules"]]
    # WHEN she moves the second one up THEN it applies first, said, and the focus stays on the rule she moved
    assert not console.find(f"#rule-up-{ids[0]}").is_enabled()
    console.find(f"#rule-up-{ids[1]}").click()
    console.text_in("#notice", f"Rule “{second}” moved up: it is now rule 1.")
    assert names(console) == [second, first]
    assert [r["name"] for r in current(stack)["rules"]] == [second, first]
    assert console.driver.execute_script("return document.activeElement.id") == f"rule-down-{ids[1]}"
    # WHEN she deletes one THEN it asks first; Cancel keeps it, Delete for good deletes it
    console.find(f"#rule-delete-{ids[0]}").click()
    console.find(f"#rule-keep-{ids[0]}").click()
    assert len(current(stack)["rules"]) == 2
    console.find(f"#rule-delete-{ids[0]}").click()
    console.find(f"#rule-confirm-{ids[0]}").click()
    console.text_in("#notice", f"Rule “{first}” deleted.")
    assert [r["name"] for r in current(stack)["rules"]] == [second]
    # WHEN she edits the other one, turning it off THEN the list says Off
    console.find(f"#rule-edit-{ids[1]}").click()
    assert console.find("#rule-name").get_attribute("value") == second
    console.find("#rule-enabled").click()
    console.find("#rule-submit").click()
    console.text_in("#notice", f"Rule “{second}” saved.")
    assert console.find(".rule-item .badge").text == "Off"
    assert current(stack)["rules"][0]["enabled"] is False


def test_a_rule_without_a_condition_or_an_action_is_refused_before_anything_is_sent(rules_console):
    console, stack = rules_console, rules_console.stack
    console.sign_in("manager")
    console.driver.get(console.url + "#/rules")
    console.find("#rules-saved-by")
    before = current(stack)["rev"]
    type_into(console, "#rule-name", "Nothing to match")
    console.find("#rule-queue option[value=stance]").click()
    console.find("#rule-submit").click()
    console.text_in("#rule-error", "Add a condition")
    assert console.find("#rule-words").get_attribute("aria-invalid") == "true"
    assert console.driver.execute_script("return document.activeElement.id") == "rule-words"
    type_into(console, "#rule-words", "refund")
    console.find("#rule-queue option[value='']").click()
    console.find("#rule-submit").click()
    console.text_in("#rule-error", "Add an action")
    type_into(console, "#rule-boost", "70")
    console.find("#rule-submit").click()
    console.text_in("#rule-error", "a whole number from 0 to 50")
    assert current(stack)["rev"] == before


def test_an_agent_has_no_routing_rules_view(rules_console):
    console = rules_console
    console.sign_in("agent")
    assert not console.all('nav a[href="#/rules"]')
    console.driver.get(console.url + "#/rules")
    console.wait(lambda d: d.execute_script("return location.hash") == "#/work", "#/rules redirects an agent")
    status, body = console.stack.call("GET", "/routing-rules", key=console.stack.keys["agent"])
    assert status == 403, body


def test_a_rule_that_matched_reads_as_words_among_the_priority_reasons(rules_console):
    console, stack = rules_console, rules_console.stack
    # GIVEN a rule that only raises the priority of Japanese "回収" messages
    name = f"回収の優先 {secrets.token_hex(2)}"
    saved_by_someone_else(stack, [rule(name, ["回収"], queue=None, priority_boost=30)])
    text = f"製品の回収について教えてください。注文番号 {secrets.randbelow(10 ** 6)}"
    stack.webhook(payloads.page_comment(f"104857600000001_{secrets.randbelow(10 ** 12)}", text,
                                        author_id=f"778{secrets.randbelow(10 ** 6):06d}"))
    deadline = time.monotonic() + WAIT
    while True:
        try:
            message = stack.settled(stack.find(text)["id"])
            break
        except AssertionError:
            assert time.monotonic() < deadline, "the message never arrived"
            time.sleep(0.2)
    assert f"rule:{name}" in message["priority_reasons"], message
    # THEN the queue's row and the conversation read "Rule: <name>"; no rule decided its queue, so none is named
    console.sign_in("manager")
    console.driver.get(console.url + f"#/work/{message['queue']}")
    console.text_in(".reasons .reason", f"Rule: {name}")
    open_conversation(console, message["id"], message["queue"])
    console.text_in(".triage .reason", f"Rule: {name}")
    assert not console.all("#routed-by")


TRACKING_REPLY = ("Thank you {{customer_name}}! Your tracking number is in the e-mail we sent when the order "
                  "shipped; an agent will also look at your message.")


def rule_named(stack, name: str) -> dict:
    return next(r for r in current(stack)["rules"] if r["name"] == name)


def test_a_manager_adds_a_rule_that_replies_and_finds_it_kept_and_summarised_after_a_reload(rules_console):
    console, stack = rules_console, rules_console.stack
    # GIVEN a manager on Routing rules
    console.sign_in("manager")
    console.driver.get(console.url + "#/rules")
    console.find("#rules-saved-by")
    console.text_in("label[for=rule-reply]", "Reply automatically to direct messages (optional)")
    console.text_in("#rule-reply-hint", "Sent once per conversation, only in direct messages")
    console.text_in("#rule-reply-hint code", "{{customer_name}}")
    # WHEN she adds a rule on the words "tracking", to Customer service, that replies automatically
    name = f"Tracking {secrets.token_hex(2)}"
    type_into(console, "#rule-name", name)
    type_into(console, "#rule-words", "tracking, where is my order")
    console.find("#rule-queue option[value=customer_service]").click()
    type_into(console, "#rule-reply", TRACKING_REPLY)
    console.text_in("#rule-reply-count", f"{len(TRACKING_REPLY)} of 500 characters")
    assert "over" not in console.find("#rule-reply-count").get_attribute("class")
    console.find("#rule-submit").click()
    # THEN it is said, and the list says it replies, with the reply's first words
    console.text_in("#notice", f"Rule “{name}” added.")
    item = console.text_in(".rules-list .rule-item", name)
    assert "→ Customer service · replies automatically: “Thank you {{customer_name}}! Your…”" in item.text, item.text
    saved = rule_named(stack, name)
    assert saved["reply"] == TRACKING_REPLY and saved["words"] == ["tracking", "where is my order"], saved
    assert saved["queue"] == "customer_service" and saved["tags"] == [] and saved["priority_boost"] == 0
    assert console.find("#rule-reply").get_attribute("value") == "", "the form is cleared for the next rule"
    # AND after a reload it is still there, summarised the same, and editing it reads its reply back
    console.driver.refresh()
    item = console.text_in(".rules-list .rule-item", name)
    assert "replies automatically: “Thank you" in item.text
    console.find(f"#rule-edit-{saved['id']}").click()
    assert console.find("#rule-reply").get_attribute("value") == TRACKING_REPLY
    console.text_in("#rule-reply-count", f"{len(TRACKING_REPLY)} of 500 characters")
    assert not console.unlabelled() and not console.low_contrast()
    # AND in Japanese the field and the summary read in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("label[for=rule-reply]", "ダイレクトメッセージに自動で返信する(任意)")
    console.text_in(".rules-list .rule-item", "自動返信:「Thank you {{customer_name}}! Your")


def test_a_rule_whose_only_action_is_a_reply_is_accepted(rules_console):
    console, stack = rules_console, rules_console.stack
    # GIVEN a manager on Routing rules
    console.sign_in("manager")
    console.driver.get(console.url + "#/rules")
    console.find("#rules-saved-by")
    # WHEN she adds a rule with words and a reply, and no queue, tag or priority raise
    name = f"Tracking reply only {secrets.token_hex(2)}"
    type_into(console, "#rule-name", name)
    type_into(console, "#rule-words", "tracking")
    console.find("#rule-queue option[value='']").click()
    type_into(console, "#rule-reply", "  Hi {{customer_name}}, tracking links are in your shipping e-mail.  ")
    console.find("#rule-submit").click()
    # THEN it is saved as it is (trimmed), the model still choosing the queue, and listed as replying
    console.text_in("#notice", f"Rule “{name}” added.")
    saved = rule_named(stack, name)
    assert saved["reply"] == "Hi {{customer_name}}, tracking links are in your shipping e-mail.", saved
    assert saved["queue"] is None and saved["tags"] == [] and saved["priority_boost"] == 0
    item = console.text_in(".rules-list .rule-item", name)
    assert "Then\nreplies automatically: “Hi {{customer_name}}, tracking links…”" in item.text, item.text


def test_a_reply_too_long_for_an_instagram_dm_is_counted_and_refused_beside_the_reply(rules_console, screenshot):
    console, stack = rules_console, rules_console.stack
    console.sign_in("manager")
    console.driver.get(console.url + "#/rules")
    console.find("#rules-saved-by")
    before = current(stack)["rev"]
    type_into(console, "#rule-name", f"Long reply {secrets.token_hex(2)}")
    type_into(console, "#rule-words", "tracking")
    # WHEN the reply is over 500 characters THEN the counter and the refusal say by how much, before anything is sent
    type_into(console, "#rule-reply", "x" * 503)
    console.text_in("#rule-reply-count.over", "503 of 500 characters: 3 too many")
    console.find("#rule-submit").click()
    console.text_in("#rule-reply-error", "The reply is longer than 500 characters: shorten it by 3.")
    assert console.find("#rule-reply").get_attribute("aria-invalid") == "true"
    assert current(stack)["rev"] == before
    # WHEN it fits 500 characters but not an Instagram DM's 1,000 bytes THEN the counter says so, and the API's
    # refusal is said beside the reply, naming Instagram, the focus on the reply
    type_into(console, "#rule-reply", "追" * 400)
    console.text_in("#rule-reply-count.over", "Too long for Instagram: 1,200 of 1,000 bytes")
    console.find("#rule-submit").click()
    console.text_in("#rule-reply-error", "The reply is too long for a direct message on Instagram")
    assert console.find("#rule-reply").get_attribute("aria-invalid") == "true"
    assert console.driver.execute_script("return document.activeElement.id") == "rule-reply"
    assert console.all("#rule-error")[0].text == "", "said beside the reply, not at the top of the form"
    assert not console.low_contrast()
    scroll_to(console, "#rule-reply")
    screenshot("rule-reply-too-long")
    assert current(stack)["rev"] == before
