"""The satisfaction survey from the console (GET and PUT /satisfaction-survey; managers and admins), against `make run`'s
stack (see conftest.py): a stack of its own, so that the survey it turns on never answers the session's other
conversations (local/stream.py sends it when a direct-message conversation is resolved, through the fake platforms).

GIVEN a manager on Satisfaction survey (beside Away message), never saved: the suggested texts in its boxes, off
WHEN she ticks "Send a satisfaction survey when a direct message conversation is resolved", writes the default text
(counted as the away message's is) and saves
THEN "Saved." and the new state are said, and after a reload the view shows them kept, with who saved it and when; in
Japanese the view reads in Japanese. A save by someone else meanwhile is said in words and the current one loads
without losing what was typed; a text too long for a platform's DMs is refused in words naming the text and the
platform.
GIVEN the survey on, and a customer's Messenger DM
WHEN an agent takes it, replies and resolves it, and the customer answers the survey with "5"
THEN the conversation says "Survey sent …, no rating yet", then "Customer rating: 5 / 5" (stars only beside the
words), its timeline reads the survey as an automatic reply (satisfaction survey) and marks the customer's "5" as the
rating, the resolved list shows the rating on its row (and the rating filter leaves it out of the unhappy ones), and the Stats view
counts it (SLA panel and People table). An
agent has neither the link nor the view.
GIVEN a manager on the survey's view
WHEN she writes the follow-up question asked after a rating of 1 to 3 (its default text and Japanese one) and saves
THEN after a reload the view shows it kept; a follow-up too long for a platform is refused in words naming the
follow-up's text, and an empty one (none asked) is saved even with the survey on.
GIVEN the survey on with a follow-up question, and a resolved conversation whose customer rates it 2
WHEN the follow-up question goes and the customer answers it
THEN the conversation first says the question was asked, its timeline reads that reply as the follow-up question, and
then it shows the customer's words quoted (as text) after the rating, their message marked as the rating's comment.
"""

from __future__ import annotations

import json
import secrets

import pytest

import payloads

from .conftest import (REQUIRED, article, blank_console, cell, open_conversation, scroll_to,
                       settled_in_customer_service, staffed_stack, type_into, until)

try:
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

SUGGESTED = "How did we do? Reply with a number from 1 (poor) to 5 (great)."
SUGGESTED_JA = "今回の対応はいかがでしたか？1（不満）〜5（満足）の数字で返信してください。"
FOLLOW_UP = "Sorry we let you down. What could we have done better?"
FOLLOW_UP_JA = "ご期待に沿えず申し訳ありません。改善すべき点があれば教えてください。"


@pytest.fixture(scope="module")
def survey_stack(tmp_path_factory):
    """A stack of its own with a manager's and an agent's key."""
    with staffed_stack(tmp_path_factory.mktemp("survey-stack")) as stack:
        yield stack


@pytest.fixture
def survey_console(driver, survey_stack, screens, request):
    yield from blank_console(driver, survey_stack, screens, request)


def current(stack) -> dict:
    status, survey = stack.call("GET", "/satisfaction-survey")
    assert status == 200, survey
    return survey


def saved_by_someone_else(stack, text: str, enabled: bool = True, translations: dict | None = None,
                          follow_up: str | None = None) -> dict:
    """The admin saves the survey at the revision stored now, as a colleague in another tab would (without a
    follow-up, none is asked)."""
    status, survey = stack.call("PUT", "/satisfaction-survey", body={
        "enabled": enabled, "text": text, "translations": translations or {}, "rev": current(stack)["rev"],
        **({} if follow_up is None else {"follow_up": follow_up})})
    assert status == 200, survey
    return survey


def value(console, css: str) -> str:
    return console.find(css).get_attribute("value")


def shown(console, css: str, check) -> None:
    """check(element) comes true for the visible element matching css (the view may redraw it meanwhile)."""
    console.wait(lambda d: check(console.find(css)), f"{css} never passed the check")


def act(console, css: str, action) -> None:
    """action(element) on the visible element matching css, again on the new one when the view redrew it first (a
    conversation's detail and its queue's list are drawn as their answers come)."""
    console.wait(lambda d: action(console.find(css)) or True, f"{css} could not be acted on")


def conversation_of(stack, conversation: str) -> dict:
    status, detail = stack.call("GET", f"/conversations/{conversation}")
    assert status == 200, detail
    return detail


def answered_and_resolved(console, stack, customer: str) -> str:
    """A customer's new Messenger DM in customer service that the agent takes, answers and resolves from the console
    (the survey goes to it then); by its id, the agent still signed in."""
    question = f"My parcel {secrets.randbelow(10 ** 6)} never arrived, where is it? I want a refund"
    stack.webhook(payloads.messenger_dm(f"m.survey-{secrets.token_hex(6)}", question, sender=customer))
    conversation = settled_in_customer_service(stack, question)
    console.sign_in("agent")
    open_conversation(console, conversation)
    act(console, "#take", lambda e: e.click())
    act(console, "#reply-text", lambda e: e.send_keys("Sorry about that: it is on its way again, tracking 1Z999."))
    act(console, "#send-reply", lambda e: e.click())
    console.text_in("#notice", "Reply sent.")
    act(console, "#resolve", lambda e: e.click())
    console.text_in("#notice", "Resolved")
    return conversation


def back_in_customer_service(stack, conversation: str, message_id: str) -> None:
    """Once the second opinion has re-scored the customer's new message (the conversation it reopened may move queue
    meanwhile), the conversation moved back to customer_service when it was put elsewhere: the agent works only that."""
    stack.settled(message_id)
    if conversation_of(stack, conversation)["queue"] != "customer_service":
        status, body = stack.call("POST", "/conversations/bulk", body={
            "action": "reroute", "conversation_ids": [conversation], "queue": "customer_service",
            "reason": "set up for a browser test"})
        assert status == 200 and body["done"] == 1, body


def test_a_manager_turns_the_survey_on_and_finds_it_kept_after_a_reload(survey_console, screenshot):
    console, stack = survey_console, survey_console.stack
    # GIVEN a manager: Satisfaction survey is in the navigation, beside Away message
    console.sign_in("manager")
    assert [e.text for e in console.all("nav a")] == [
        "Queues", "Stats", "Saved replies", "WhatsApp templates", "Away message", "Satisfaction survey", "Routing rules",
        "Blocked customers"]
    console.find('nav a[href="#/survey"]').click()
    # THEN, never saved, it is off and starts from the suggested texts, and says so
    console.text_in("#survey-state", "The satisfaction survey is off")
    assert value(console, "#survey-text") == SUGGESTED and value(console, "#survey-ja") == SUGGESTED_JA
    assert value(console, "#survey-en") == "" and not console.find("#survey-enabled").is_selected()
    console.text_in("#survey-saved-by", "Not saved yet: it starts from the suggested texts")
    # WHEN she ticks the box, writes her own default text, blanks the Japanese one and saves
    console.find("#survey-enabled").click()
    text = f"Thanks {{{{customer_name}}}}! How did we do? Reply 1 (poor) to 5 (great). ({secrets.token_hex(3)})"
    type_into(console, "#survey-text", text)
    console.text_in("#survey-text-count", f"{len(text)} of 1,000 characters")
    type_into(console, "#survey-ja", "")
    # (the suggested texts come back at a press, the English one left as it is)
    type_into(console, "#survey-en", "Rate us 1-5")
    console.find("#survey-suggested").click()
    assert value(console, "#survey-text") == SUGGESTED and value(console, "#survey-ja") == SUGGESTED_JA
    assert value(console, "#survey-en") == "Rate us 1-5"
    type_into(console, "#survey-text", text)
    type_into(console, "#survey-en", "")
    console.find("#survey-save").click()
    # THEN "Saved." and the new state are said, and the API keeps what she saved
    console.text_in("#notice", "Saved. The satisfaction survey is on")
    console.text_in("#survey-state", "The satisfaction survey is on")
    stored = current(stack)
    assert stored["enabled"] is True and stored["text"] == text and stored["rev"] >= 1, stored
    assert stored["translations"] == {"ja": SUGGESTED_JA}, stored  # a blank English text is left out
    # AND after a reload the view shows it kept, with when and by whom it was saved
    console.driver.refresh()
    console.wait(lambda d: value(console, "#survey-text") == text, "the saved text is shown")
    assert console.find("#survey-enabled").is_selected()
    assert value(console, "#survey-ja") == SUGGESTED_JA
    console.text_in("#survey-saved-by", "Last saved")
    console.text_in("#survey-saved-by", "by Mana (manager)")
    assert console.all("#survey-saved-by time"), "when it was saved, as a time in the chosen zone"
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("survey")
    # AND in Japanese the view reads in Japanese, keeping what it shows
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("label[for=survey-enabled]", "ダイレクトメッセージの会話を解決したときに満足度アンケートを送る")
    console.text_in('nav a[href="#/survey"]', "満足度アンケート")
    console.text_in("#survey-state", "満足度アンケートはオンです")
    assert value(console, "#survey-text") == text
    assert not console.low_contrast()
    screenshot("survey-ja")


def test_a_save_meanwhile_is_said_and_a_text_too_long_is_refused_in_words(survey_console):
    console, stack = survey_console, survey_console.stack
    # GIVEN the manager on the view, at the revision stored now
    console.sign_in("manager")
    console.driver.get(console.url + "#/survey")
    console.find("#survey-text")
    # WHEN a colleague saves meanwhile, then she saves her own text
    theirs = f"Rate us from 1 to 5 ({secrets.token_hex(3)})"
    saved_by_someone_else(stack, theirs)
    mine = f"How did we do, {{{{customer_name}}}}? 1 to 5, please ({secrets.token_hex(3)})"
    type_into(console, "#survey-text", mine)
    console.find("#survey-save").click()
    # THEN she is told, in words, that someone else changed it; nothing of hers was saved and her text is still there
    console.text_in("#survey-conflict", "Someone else saved the satisfaction survey while you were editing")
    assert current(stack)["text"] == theirs
    assert value(console, "#survey-text") == mine
    # WHEN she loads the current one THEN the form shows theirs, and she can put hers back and save it over theirs
    console.find("#survey-load-current").click()
    console.wait(lambda d: value(console, "#survey-text") == theirs, "theirs is loaded")
    console.find("#survey-put-back").click()
    assert value(console, "#survey-text") == mine
    console.find("#survey-save").click()
    console.text_in("#notice", "Saved.")
    assert current(stack)["text"] == mine
    before = current(stack)
    # WHEN it is on with no default text THEN she is asked to write one, and nothing is sent
    if not console.find("#survey-enabled").is_selected():
        console.find("#survey-enabled").click()
    type_into(console, "#survey-text", "   ")
    console.find("#survey-save").click()
    console.text_in("#survey-error", "Write the default text before turning the satisfaction survey on.")
    assert console.find("#survey-text").get_attribute("aria-invalid") == "true"
    # WHEN the Japanese text fits 1,000 characters but not an Instagram DM's 1,000 bytes THEN the counter says so, and
    # the API's refusal (survey_text_too_long) is said naming the text and the platform, the focus on that text
    type_into(console, "#survey-text", "How did we do?")
    type_into(console, "#survey-ja", "評" * 400)
    console.text_in("#survey-ja-count.over", "Too long for Instagram: 1,200 of 1,000 bytes.")
    console.find("#survey-save").click()
    console.text_in("#survey-error", "The Japanese text is too long for a direct message on Instagram")
    assert console.driver.execute_script("return document.activeElement.id") == "survey-ja"
    assert current(stack)["rev"] == before["rev"]


def test_a_resolved_conversation_gets_the_survey_and_shows_the_customers_rating(survey_console, screenshot):
    console, stack = survey_console, survey_console.stack
    survey = f"How did we do? Reply with a number from 1 (poor) to 5 (great). ({secrets.token_hex(3)})"
    saved_by_someone_else(stack, survey, translations={"ja": SUGGESTED_JA})
    # GIVEN a customer's Messenger DM in customer service
    # WHEN the agent takes it, replies and resolves it from the console
    customer = f"61{secrets.randbelow(10 ** 12):012d}"
    conversation = answered_and_resolved(console, stack, customer)
    # THEN the survey goes to the customer once, automatically, from the system, through the platform
    def surveyed():
        status, detail = stack.call("GET", f"/conversations/{conversation}")
        assert status == 200, detail
        sent = [r for r in detail.get("replies", []) if r.get("by") == "system:survey"]
        return (detail, sent) if sent and detail.get("satisfaction") else None
    detail, sent = until(surveyed, "the survey never went out")
    assert len(sent) == 1 and sent[0]["automatic"] is True and sent[0]["text"] == survey, sent
    assert detail["status"] == "resolved" and "score" not in detail["satisfaction"], detail
    assert any(survey in json.dumps(r["body"]) and customer in json.dumps(r["body"]) for r in stack.fake_requests())
    # AND the conversation says so in words: sent, no rating yet (resolving it went back to the queue)
    open_conversation(console, conversation)
    console.text_in("#satisfaction", "Survey sent")
    shown(console, "#satisfaction", lambda e: "no rating yet" in e.text and e.find_elements("css selector", "time"))
    console.text_in(".thread .reply.automatic .automatic-label", "Automatic reply (satisfaction survey)")
    # WHEN the customer answers with a rating only
    rating = f"m.rating-{secrets.token_hex(6)}"
    stack.webhook(payloads.messenger_dm(rating, "5", sender=customer))
    # THEN it is recorded on the conversation, which stays resolved
    rated = until(lambda: (lambda d: d if d.get("satisfaction", {}).get("score") == 5 else None)(
        stack.call("GET", f"/conversations/{conversation}")[1]), "the rating was never recorded")
    assert rated["status"] == "resolved", rated
    # AND the conversation shows the customer's rating in words, the stars beside them hidden from screen readers
    console.driver.refresh()
    console.text_in("#satisfaction", "Customer rating: 5 / 5")
    shown(console, "#satisfaction .stars", lambda e: e.get_attribute("aria-hidden") == "true")
    shown(console, "#satisfaction", lambda e: e.find_elements("css selector", "time"))  # when the rating came
    console.text_in(".thread .reply.automatic", "Automatic reply (satisfaction survey)")
    shown(console, ".thread .reply.automatic", lambda e: survey in e.text and "sent from here by" not in e.text)
    message_id = rated["satisfaction"].get("message_id")
    if message_id:  # the customer's "5" is marked as the rating
        console.text_in(f'article.message[data-id="{message_id}"]', "Rating: 5 / 5")
    assert not console.low_contrast() and not console.unlabelled()
    screenshot("survey-rated")
    scroll_to(console, ".thread .reply.automatic")
    screenshot("survey-rated-timeline")
    # AND the resolved list shows the rating on the conversation's row, in words
    act(console, "#list-status", lambda e: Select(e).select_by_value("resolved"))
    console.text_in(f'#message-list .row-box[data-id="{conversation}"]', "Rated 5/5")
    shown(console, f'#message-list .row-box[data-id="{conversation}"] .badge-rating .stars',
          lambda e: e.get_attribute("aria-hidden") == "true")
    # AND the rating filter leaves it out of those rated 4 or less (the unhappy ones), and any rating shows it again
    act(console, "#filter-rating", lambda e: Select(e).select_by_value("4"))
    console.find("#message-list .empty")
    assert not console.all(f'#message-list .row-box[data-id="{conversation}"]')
    act(console, "#filter-rating", lambda e: Select(e).select_by_value(""))
    console.text_in(f'#message-list .row-box[data-id="{conversation}"]', "Rated 5/5")
    # AND in Japanese it says so in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("#satisfaction", "お客様の評価: 5 / 5")
    console.text_in(".thread .reply.automatic .automatic-label", "自動返信（満足度アンケート）")
    # AND a manager's Stats count the survey and the rating: the SLA panel by queue, the People table by who resolved
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'en')")
    console.find("#sign-out").click()
    console.sign_in("manager")
    console.open("#/stats")
    console.text_in("#survey-stats", "Surveys sent")
    assert int(cell(console, "#survey-stats table", "Customer service", "Surveys sent")) >= 1
    assert int(cell(console, "#survey-stats table", "Customer service", "Ratings")) >= 1
    assert cell(console, "#survey-stats table", "Customer service", "Average rating") == "5.0 / 5"
    assert cell(console, "#survey-stats table", "Customer service", "Satisfied") == "100%"
    assert cell(console, "#survey-stats table", "Customer service", "By score (score: ratings)").startswith("5: ")
    console.find('#people span[data-key]')
    assert cell(console, "#people", "Aiko (agent)", "Ratings") == "1"
    assert cell(console, "#people", "Aiko (agent)", "Average rating") == "5.0 / 5"
    assert not console.low_contrast()
    scroll_to(console, "#survey-stats")
    screenshot("survey-stats")


def test_a_manager_writes_the_follow_up_question_and_finds_it_kept_after_a_reload(survey_console, screenshot):
    console, stack = survey_console, survey_console.stack
    # GIVEN a manager on the survey's view: below its texts, the follow-up question's, saying what it is for
    console.sign_in("manager")
    console.driver.get(console.url + "#/survey")
    console.text_in("#survey-follow-up-section legend", "Follow-up question (after a rating of 1–3)")
    console.text_in("#survey-follow-up-hint", "Leave it empty and no follow-up question is asked")
    # WHEN she puts the suggested texts in THEN the follow-up's are among them, its English one left as it is
    type_into(console, "#survey-follow-up-en", "What went wrong?")
    console.find("#survey-suggested").click()
    assert value(console, "#survey-follow-up") == FOLLOW_UP and value(console, "#survey-follow-up-ja") == FOLLOW_UP_JA
    assert value(console, "#survey-follow-up-en") == "What went wrong?"
    # WHEN she turns the survey on, writes her own follow-up (counted as the texts are), blanks the English one, saves
    if not console.find("#survey-enabled").is_selected():
        console.find("#survey-enabled").click()
    follow_up = f"Sorry, {{{{customer_name}}}}. What could we have done better? ({secrets.token_hex(3)})"
    type_into(console, "#survey-follow-up", follow_up)
    console.text_in("#survey-follow-up-count", f"{len(follow_up)} of 1,000 characters")
    type_into(console, "#survey-follow-up-en", "")
    console.find("#survey-save").click()
    # THEN it is saved: the API keeps the follow-up and its Japanese text, the blank English one left out
    console.text_in("#notice", "Saved. The satisfaction survey is on")
    stored = current(stack)
    assert stored["follow_up"] == follow_up and stored["follow_up_translations"] == {"ja": FOLLOW_UP_JA}, stored
    # AND after a reload the view shows it kept
    console.driver.refresh()
    console.wait(lambda d: value(console, "#survey-follow-up") == follow_up, "the saved follow-up is shown")
    assert value(console, "#survey-follow-up-ja") == FOLLOW_UP_JA and value(console, "#survey-follow-up-en") == ""
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#survey-follow-up-section")
    screenshot("survey-follow-up")
    # WHEN the follow-up's Japanese text fits 1,000 characters but not an Instagram DM THEN the counter says so, and the
    # API's refusal is said naming the follow-up's text and the platform, the focus on it; nothing is saved
    before = current(stack)
    type_into(console, "#survey-follow-up-ja", "評" * 400)
    console.text_in("#survey-follow-up-ja-count.over", "Too long for Instagram: 1,200 of 1,000 bytes.")
    console.find("#survey-save").click()
    console.text_in("#survey-error", "The Japanese follow-up text is too long for a direct message on Instagram")
    assert console.driver.execute_script("return document.activeElement.id") == "survey-follow-up-ja"
    assert console.find("#survey-follow-up-ja").get_attribute("aria-invalid") == "true"
    assert current(stack)["rev"] == before["rev"]
    # WHEN she empties the follow-up, the survey still on THEN it saves: no follow-up question is asked
    type_into(console, "#survey-follow-up", "")
    type_into(console, "#survey-follow-up-ja", "")
    console.find("#survey-save").click()
    console.text_in("#notice", "Saved.")
    stored = current(stack)
    assert stored["enabled"] is True and stored["follow_up"] == "" and stored["follow_up_translations"] == {}, stored
    # AND in Japanese the section reads in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("#survey-follow-up-section legend", "フォローアップの質問")
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'en')")


def test_a_low_rating_gets_the_follow_up_and_the_comment_shows_on_the_conversation(survey_console, screenshot):
    console, stack = survey_console, survey_console.stack
    # GIVEN the survey on with a follow-up question
    survey = f"How did we do? Reply with a number from 1 (poor) to 5 (great). ({secrets.token_hex(3)})"
    follow_up = f"Sorry we let you down. What could we have done better? ({secrets.token_hex(3)})"
    saved_by_someone_else(stack, survey, follow_up=follow_up)
    # AND a conversation an agent answered and resolved, its survey sent
    customer = f"61{secrets.randbelow(10 ** 12):012d}"
    conversation = answered_and_resolved(console, stack, customer)
    until(lambda: conversation_of(stack, conversation).get("satisfaction"), "the survey never went out")
    # WHEN the customer rates it 2
    stack.webhook(payloads.messenger_dm(f"m.rating-{secrets.token_hex(6)}", "2", sender=customer))
    # THEN the follow-up question goes to them, automatically, from the system
    def asked():
        detail = conversation_of(stack, conversation)
        sent = [r for r in detail.get("replies", []) if r.get("by") == "system:survey_follow_up"]
        return (detail, sent) if sent and detail.get("satisfaction", {}).get("follow_up_sent_at") else None
    detail, sent = until(asked, "the follow-up question never went out")
    assert len(sent) == 1 and sent[0]["automatic"] is True and sent[0]["text"] == follow_up, sent
    assert detail["satisfaction"]["score"] == 2 and "comment" not in detail["satisfaction"], detail
    # AND the conversation says the question was asked, and its timeline reads that reply as the follow-up question
    open_conversation(console, conversation)
    console.text_in("#satisfaction", "Customer rating: 2 / 5")
    console.text_in("#satisfaction-follow-up", "Asked what went wrong")
    shown(console, "#satisfaction-follow-up", lambda e: e.find_elements("css selector", "time"))
    labels = lambda: [e.text for e in console.all(".thread .reply.automatic .automatic-label")]
    console.wait(lambda d: "Automatic reply (follow-up question)" in labels(), "the follow-up's reply is labelled")
    assert "Automatic reply (satisfaction survey)" in labels(), labels()
    # WHEN the customer answers it (words that look like markup stay words)
    comment = f"The courier left my parcel in the rain <b>and</b> it was soaked, refund me ({secrets.token_hex(3)})"
    stack.webhook(payloads.messenger_dm(f"m.comment-{secrets.token_hex(6)}", comment, sender=customer))
    commented = until(lambda: (lambda d: d if d.get("satisfaction", {}).get("comment") else None)(
        conversation_of(stack, conversation)), "the comment was never recorded")
    assert commented["satisfaction"]["comment"] == comment, commented["satisfaction"]
    assert commented["status"] == "open", commented["status"]  # an ordinary message: a person follows up
    comment_message = commented["satisfaction"]["comment_message_id"]
    back_in_customer_service(stack, conversation, comment_message)
    # THEN the conversation shows their words quoted after the rating, as text, and no longer says it waits for them
    console.driver.refresh()
    console.text_in("#satisfaction", "Customer rating: 2 / 5")
    console.text_in("#satisfaction-comment", f"Comment: “{comment}”")
    assert not console.all("#satisfaction b") and not console.all("#satisfaction-follow-up")
    # AND the customer's message is marked as the rating's comment, beside the rating's own mark
    console.text_in(article(comment_message), "Rating comment")
    rating_message = commented["satisfaction"].get("message_id")
    if rating_message:
        console.text_in(article(rating_message), "Rating: 2 / 5")
    assert not console.low_contrast() and not console.unlabelled()
    screenshot("survey-comment")
    scroll_to(console, ".thread .reply.automatic")  # the survey, the rating, the follow-up question, the comment
    screenshot("survey-comment-timeline")
    # AND in Japanese it says so in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in("#satisfaction-comment", f"コメント:「{comment}」")
    console.text_in(article(comment_message), "評価へのコメント")
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'en')")


def test_an_agent_has_no_survey_view(survey_console):
    console = survey_console
    console.sign_in("agent")
    assert not console.all('nav a[href="#/survey"]')
    console.driver.get(console.url + "#/survey")
    console.wait(lambda d: d.execute_script("return location.hash") == "#/work", "#/survey redirects an agent")
