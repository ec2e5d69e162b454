"""WhatsApp templates from the console (GET and PUT /whatsapp-templates; POST /conversations/{id}/template-replies),
against `make run`'s stack (see conftest.py): a stack of its own, so that the templates saved here stay here.

GIVEN a manager on WhatsApp templates (beside Saved replies), none saved yet
WHEN she adds two rows (name, language, body), one whose body skips {{2}}, and saves
THEN the skipped placeholder is said in words on its row before the API is asked; once fixed, "Saved" is said and
after a reload both templates are there, with who saved them; a save by someone else meanwhile is said in words with
the current ones offered, and what she typed can be put back. An agent has neither the link nor the view.

GIVEN those templates, and a customer's WhatsApp message older than 24 hours (the stack has no clock to move: the
conversation's last customer message is moved back a day in the embedded DynamoDB, as if it came yesterday)
WHEN the agent takes it
THEN the reply box says WhatsApp allows only templates now, and "Send a template" is offered: she chooses one by name
and language, fills in {{1}} and {{2}} (a blank one is refused in words), reads the filled-in words in the preview and
sends it with a double click
THEN it is sent once, through the platform, and shows in the timeline as a reply, marked as the template. Within the
24 hours a template is offered too, folded under the reply box.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta, timezone

import pytest

import payloads

from .conftest import (REQUIRED, blank_console, open_conversation, scroll_to, settled_in_customer_service,
                       staffed_stack, type_into, until)

try:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

ORDER = "Hi {{1}}, your order {{2}} has shipped. Track it at example.com/t/{{2}}."
DELAY_JA = "{{1}}様、ご注文の発送が遅れております。申し訳ございません。"


@pytest.fixture(scope="module")
def templates_stack(tmp_path_factory):
    """A stack of its own with a manager's and an agent's key."""
    with staffed_stack(tmp_path_factory.mktemp("templates-stack")) as stack:
        yield stack


@pytest.fixture
def templates_console(driver, templates_stack, screens, request):
    yield from blank_console(driver, templates_stack, screens, request)


def current(stack) -> dict:
    status, answer = stack.call("GET", "/whatsapp-templates")
    assert status == 200, answer
    return answer


def saved_by_someone_else(stack, templates: list[dict]) -> dict:
    """The admin saves the templates at the revision stored now, as a colleague in another tab would."""
    status, answer = stack.call("PUT", "/whatsapp-templates", body={"templates": templates, "rev": current(stack)["rev"]})
    assert status == 200, answer
    return answer


def value(console, css: str) -> str:
    return console.find(css).get_attribute("value")


def act(console, css: str, action) -> None:
    """action(element) on the visible element matching css, again on the new one when the view redrew it first."""
    console.wait(lambda d: action(console.find(css)) or True, f"{css} could not be acted on")


def a_day_ago(stack, conversation: str) -> None:
    """The conversation's customer last wrote 26 hours ago: its head's last_inbound_at (and received_at, which stands
    for it before a second message) moved back in the stack's embedded DynamoDB, whose address local.run prints."""
    client, table = stack.table()
    then = (datetime.now(timezone.utc) - timedelta(hours=26)).isoformat().replace("+00:00", "Z")
    client.update_item(TableName=table, Key={"pk": {"S": f"MSG#{conversation}"}, "sk": {"S": "MSG"}},
                       UpdateExpression="SET last_inbound_at = :then, received_at = :then",
                       ExpressionAttributeValues={":then": {"S": then}}, ConditionExpression="attribute_exists(pk)")
    status, detail = stack.call("GET", f"/conversations/{conversation}")
    assert status == 200 and detail["reply_window"]["open"] is False, detail["reply_window"]
    assert detail["reply_window"]["reason"] == "whatsapp_window_closed", detail["reply_window"]


def test_a_manager_saves_two_templates_and_finds_them_after_a_reload(templates_console, screenshot):
    console, stack = templates_console, templates_console.stack
    # GIVEN a manager: WhatsApp templates is in the navigation, beside Saved replies
    console.sign_in("manager")
    names = [e.text for e in console.all("nav a")]
    assert names[names.index("Saved replies") + 1] == "WhatsApp templates", names
    console.find('nav a[href="#/templates"]').click()
    # THEN none saved yet: said, with the hint to copy them exactly as Meta approved them
    console.text_in("#templates-empty", "No templates yet")
    console.text_in("#templates-exact", "exactly as Meta approved it")
    console.text_in("#templates-saved-by", "Not saved yet.")
    # WHEN she adds two templates, the second's body skipping {{2}}
    console.find("#templates-add").click()
    type_into(console, "#template-name-0", "order_update")
    type_into(console, "#template-language-0", "en_US")
    type_into(console, "#template-body-0", ORDER)
    console.text_in("#template-body-0-count", "2 parameters")
    console.find("#templates-add").click()
    type_into(console, "#template-name-1", "shipping_delay")
    type_into(console, "#template-language-1", "ja")
    type_into(console, "#template-body-1", "{{1}}様、ご注文 {{3}} の発送が遅れております。")
    console.find("#templates-save").click()
    # THEN it is refused in words on its row, before the API is asked
    console.text_in("#templates-error", "The body of template 2 skips {{2}}")
    assert console.find("#template-body-1").get_attribute("aria-invalid") == "true"
    assert console.driver.execute_script("return document.activeElement.id") == "template-body-1"
    assert current(stack)["rev"] == 0
    # WHEN she fixes it (and a third row added and left blank is no template) and saves
    type_into(console, "#template-body-1", DELAY_JA)
    console.text_in("#template-body-1-count", "1 parameter")
    console.find("#templates-add").click()
    console.find("#templates-save").click()
    # THEN "Saved" is said and the API keeps both, each with its count of parameters
    console.text_in("#notice", "Saved: 2 templates.")
    stored = current(stack)
    assert [(t["name"], t["language"], t["body"], t["parameters"]) for t in stored["templates"]] == [
        ("order_update", "en_US", ORDER, 2), ("shipping_delay", "ja", DELAY_JA, 1)], stored
    assert stored["rev"] == 1
    # AND after a reload both are there, with who saved them and when
    console.driver.refresh()
    console.wait(lambda d: value(console, "#template-name-1") == "shipping_delay", "the saved templates are shown")
    assert value(console, "#template-name-0") == "order_update" and value(console, "#template-language-0") == "en_US"
    assert value(console, "#template-body-0") == ORDER and value(console, "#template-body-1") == DELAY_JA
    assert len(console.all(".template-row")) == 2
    console.text_in("#templates-saved-by", "by Mana (manager)")
    assert console.all("#templates-saved-by time")
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("whatsapp-templates")
    # AND in Japanese the view reads in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in('nav a[href="#/templates"]', "WhatsApp テンプレート")
    console.text_in("#templates-exact", "正確に写してください")
    assert value(console, "#template-name-1") == "shipping_delay"
    assert not console.low_contrast()
    screenshot("whatsapp-templates-ja")
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'en')")


def test_a_save_meanwhile_is_said_and_what_she_typed_can_be_put_back(templates_console):
    console, stack = templates_console, templates_console.stack
    saved_by_someone_else(stack, [{"name": "order_update", "language": "en_US", "body": ORDER}])
    console.sign_in("manager")
    console.driver.get(console.url + "#/templates")
    console.wait(lambda d: value(console, "#template-name-0") == "order_update", "the saved template is shown")
    # WHEN a colleague saves meanwhile, then she saves her own change
    theirs = f"Hello {{{{1}}}}, order {{{{2}}}} left our warehouse ({secrets.token_hex(3)})."
    saved_by_someone_else(stack, [{"name": "order_update", "language": "en_US", "body": theirs}])
    mine = f"Hi {{{{1}}}}, order {{{{2}}}} is on its way ({secrets.token_hex(3)})."
    type_into(console, "#template-body-0", mine)
    console.find("#templates-save").click()
    # THEN she is told, in words; nothing of hers was saved and her text is still there
    console.text_in("#templates-conflict", "Someone else saved the WhatsApp templates while you were editing")
    assert current(stack)["templates"][0]["body"] == theirs
    assert value(console, "#template-body-0") == mine
    # WHEN she loads the current ones THEN theirs show; she puts hers back and saves it over theirs
    console.find("#templates-load-current").click()
    console.wait(lambda d: value(console, "#template-body-0") == theirs, "theirs are loaded")
    console.find("#templates-put-back").click()
    assert value(console, "#template-body-0") == mine
    console.find("#templates-save").click()
    console.text_in("#notice", "Saved: 1 template.")
    assert current(stack)["templates"][0]["body"] == mine
    # AND a name WhatsApp would not take is refused in words before asking
    type_into(console, "#template-name-0", "Order Update")
    console.find("#templates-save").click()
    console.text_in("#templates-error", "lower-case letters, digits and underscores")
    assert current(stack)["templates"][0]["name"] == "order_update"


def test_an_agent_sends_a_template_to_a_whatsapp_customer_after_24_hours(templates_console, screenshot):
    console, stack = templates_console, templates_console.stack
    saved_by_someone_else(stack, [{"name": "order_update", "language": "en_US", "body": ORDER},
                                  {"name": "shipping_delay", "language": "ja", "body": DELAY_JA}])
    # GIVEN a customer's WhatsApp message in customer service, their last one a day ago
    customer = f"8190{secrets.randbelow(10 ** 8):08d}"
    question = f"My order A-{secrets.randbelow(10 ** 4)} still has not shipped, I want a refund"
    stack.webhook(payloads.whatsapp_text(f"wamid.{secrets.token_hex(8)}", question, sender=customer))
    conversation = settled_in_customer_service(stack, question)
    a_day_ago(stack, conversation)
    stack.fake_reset()
    # WHEN the agent takes it
    console.sign_in("agent")
    open_conversation(console, conversation)
    act(console, "#take", lambda e: e.click())
    # THEN the reply box says only a template may be sent now, and Send a template is offered, open
    console.text_in("#reply-window", "WhatsApp allows only template messages now")
    assert console.find("#send-reply").get_attribute("disabled") is not None
    console.text_in("#template-reply summary", "Send a template")
    act(console, "#template-choice", lambda e: Select(e).select_by_value("order_update|en_US"))
    options = [o.text for o in Select(console.find("#template-choice")).options]
    assert "order_update (en_US)" in options and "shipping_delay (ja)" in options, options
    # WHEN she fills in {{1}} only and sends THEN the blank {{2}} is refused in words, and nothing is sent
    console.text_in("label[for=template-parameter-1]", "Parameter {{1}}")
    type_into(console, "#template-parameter-1", "Aya")
    console.text_in("#template-preview", "Hi Aya, your order {{2}} has shipped.")
    console.find("#send-template").click()
    console.text_in("#template-status", "Fill in parameter {{2}}.")
    assert console.driver.execute_script("return document.activeElement.id") == "template-parameter-2"
    # WHEN she fills it in THEN the preview is the words the customer will read
    type_into(console, "#template-parameter-2", "A-1001")
    console.wait(lambda d: not console.all("#template-status")[0].text, "the refusal goes once she fills it in")
    console.text_in("#template-preview", "Hi Aya, your order A-1001 has shipped. Track it at example.com/t/A-1001.")
    assert not console.unlabelled() and not console.low_contrast()
    screenshot("whatsapp-template-send")
    # WHEN she double-clicks Send
    ActionChains(console.driver).double_click(console.find("#send-template")).perform()
    # THEN it is sent once and shows in the timeline as a reply, marked as the template
    console.text_in("#notice", "Template order_update (en_US) sent.")
    words = "Hi Aya, your order A-1001 has shipped. Track it at example.com/t/A-1001."
    reply = console.text_in(".thread .reply", words)
    assert "Template: order_update (en_US)" in reply.text, reply.text
    status, detail = stack.call("GET", f"/conversations/{conversation}")
    assert status == 200, detail
    sent = [r for r in detail["replies"] if r.get("template")]
    assert len(sent) == 1 and sent[0]["text"] == words, detail["replies"]
    assert sent[0]["template"] == {"name": "order_update", "language": "en_US"}, sent[0]
    until(lambda: [r for r in stack.fake_requests() if "template" in str(r.get("body"))],
          "the platform was never asked to send the template")
    time.sleep(1)  # a second send, were there one, would have come by now
    asked = [r for r in stack.fake_requests() if "template" in str(r.get("body"))]
    assert len(asked) == 1 and customer in str(asked[0]["body"]), asked
    scroll_to(console, ".thread .reply")
    screenshot("whatsapp-template-sent")
    # AND in Japanese the timeline and the form read in Japanese
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.refresh()
    console.text_in(".thread .reply", "テンプレート: order_update(en_US)")
    console.text_in("#template-reply summary", "テンプレートを送信")
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'en')")


def test_within_24_hours_a_template_is_offered_folded_beside_the_reply_box(templates_console):
    console, stack = templates_console, templates_console.stack
    if not current(stack)["templates"]:
        saved_by_someone_else(stack, [{"name": "order_update", "language": "en_US", "body": ORDER}])
    # GIVEN a customer's WhatsApp message of a minute ago
    question = f"Where is my order A-{secrets.randbelow(10 ** 4)}? I was charged but nothing shipped"
    stack.webhook(payloads.whatsapp_text(f"wamid.{secrets.token_hex(8)}", question,
                                         sender=f"8190{secrets.randbelow(10 ** 8):08d}"))
    conversation = settled_in_customer_service(stack, question)
    # WHEN the agent takes it THEN the reply box is open, and a template is offered too, folded
    console.sign_in("agent")
    open_conversation(console, conversation)
    act(console, "#take", lambda e: e.click())
    console.wait(lambda d: console.find("#send-reply").get_attribute("disabled") is None, "Send reply is enabled")
    console.text_in("#template-reply summary", "Send a WhatsApp template instead")
    assert console.find("#template-reply").get_attribute("open") is None
    # WHEN she unfolds it THEN she can choose one
    console.find("#template-reply summary").click()
    act(console, "#template-choice", lambda e: Select(e).select_by_value("order_update|en_US"))
    console.find("#template-parameter-2")


def test_an_agent_has_no_templates_view(templates_console):
    console = templates_console
    console.sign_in("agent")
    assert not console.all('nav a[href="#/templates"]')
    console.driver.get(console.url + "#/templates")
    console.wait(lambda d: d.execute_script("return location.hash") == "#/work", "#/templates redirects an agent")
