"""WhatsApp templates (chalicelib/whatsapp_templates.py, domain.whatsapp_templates): managers keep the templates Meta
approved; whoever may answer a WhatsApp conversation sends one with its parameters, also after the 24 hours in which
WhatsApp takes nothing else, once per idempotency key; the platform gets Cloud API's template message."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

import payloads
from support import call, dumps, post_webhook

pytestmark = pytest.mark.usefixtures("fake_platforms")
ORDER = {"name": "order_update", "language": "en_US",
         "body": "Hi {{1}}, your order {{2}} has shipped. Reply here if anything is wrong."}
ORDER_JA = {"name": "order_update", "language": "ja", "body": "{{1}}様、ご注文 {{2}} を発送しました。"}
FOLLOW_UP = {"name": "follow_up", "language": "en_US", "body": "We are still here if you need us."}


def save(api, keys, templates, rev=0, who="manager"):
    return call(api, "PUT", "/whatsapp-templates", keys[who], {"templates": templates, "rev": rev})


def whatsapp_conversation(api, wamid: str, sender: str, text: str = "where is my order A-1001?") -> str:
    response = post_webhook(api, "meta", dumps(payloads.whatsapp_text(wamid, text, sender=sender)))
    assert response.status_code == 200 and json.loads(response.body)["stored"] == 1, response.body
    return f"whatsapp:{wamid}"


def later(monkeypatch, hours: float) -> datetime:
    """The API's clock `hours` from now."""
    import app as app_module

    moment = datetime.now(timezone.utc) + timedelta(hours=hours)
    monkeypatch.setattr(app_module, "now", lambda: moment)
    return moment


def test_managers_keep_the_approved_templates_everyone_reads_them(api, keys):
    # GIVEN never saved: none
    status, none = call(api, "GET", "/whatsapp-templates", keys["agent_cs"])
    assert status == 200 and none == {"templates": [], "updated_by": None, "updated_at": None, "rev": 0}
    # WHEN a manager saves three THEN every role reads them, each with how many parameters it takes
    status, saved = save(api, keys, [ORDER, ORDER_JA, FOLLOW_UP])
    assert status == 200 and saved["rev"] == 1 and saved["updated_by"].startswith("manager:")
    assert [(t["name"], t["language"], t["parameters"]) for t in saved["templates"]] == [
        ("order_update", "en_US", 2), ("order_update", "ja", 2), ("follow_up", "en_US", 0)]
    assert call(api, "GET", "/whatsapp-templates", keys["agent_stance"])[1] == saved
    # AND an agent may not change them, a stale revision is refused, and so is a template Meta would not have
    assert save(api, keys, [], rev=1, who="agent_cs")[0] == 403
    status, stale = save(api, keys, [], rev=0)
    assert status == 409 and stale["error"]["code"] == "concurrent_change"
    for broken, why in [({**ORDER, "body": "Hi {{1}}, order {{3}}"}, "none skipped"),
                        ([ORDER, ORDER], "listed twice")]:
        status, refused = save(api, keys, broken if isinstance(broken, list) else [broken], rev=1)
        assert status == 400 and why in refused["error"]["message"], refused
    for bad_field in ({"name": "Order Update"}, {"language": "english"}, {"body": " "}):
        assert save(api, keys, [{**ORDER, **bad_field}], rev=1)[0] == 400
    assert call(api, "GET", "/whatsapp-templates", keys["manager"])[1] == saved


def test_after_24_hours_a_template_reaches_the_customer_and_is_the_conversations_answer(api, keys, monkeypatch,
                                                                                         fake_platforms):
    save(api, keys, [ORDER, FOLLOW_UP])
    # GIVEN a WhatsApp conversation whose customer last wrote more than 24 hours ago
    conversation_id = whatsapp_conversation(api, "wamid.TPL1", "819000000101")
    later(monkeypatch, 25)
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["agent_cs"], {})[0] == 200
    _, detail = call(api, "GET", f"/conversations/{conversation_id}", keys["agent_cs"])
    assert detail["reply_window"]["open"] is False and detail["reply_window"]["reason"] == "whatsapp_window_closed"
    status, refused = call(api, "POST", f"/conversations/{conversation_id}/replies", keys["agent_cs"],
                           {"text": "Your order shipped", "idempotency_key": "plain-after-24h"})
    assert status == 422 and refused["error"]["code"] == "outside_reply_window"
    # WHEN the agent sends the order template with its two parameters (and the client retries it)
    body = {"name": "order_update", "language": "en_US", "parameters": ["Yui", "A-1001"],
            "idempotency_key": "tpl-order-1"}
    status, sent = call(api, "POST", f"/conversations/{conversation_id}/template-replies", keys["agent_cs"], body)
    again = call(api, "POST", f"/conversations/{conversation_id}/template-replies", keys["agent_cs"], body)
    # THEN WhatsApp got one template message, to the customer, with the parameters in its body
    assert status == 201, sent
    assert sent["status"] == "sent" and sent["template"] == {"name": "order_update", "language": "en_US"}
    assert sent["text"] == "Hi Yui, your order A-1001 has shipped. Reply here if anything is wrong."
    assert again[0] == 201 and again[1]["id"] == sent["id"]
    [request] = fake_platforms.sent("whatsapp")
    assert request.body["to"] == "819000000101" and request.body["type"] == "template" and "context" not in request.body
    assert request.body["template"] == {"name": "order_update", "language": {"policy": "deterministic", "code": "en_US"},
                                        "components": [{"type": "body", "parameters": [
                                            {"type": "text", "text": "Yui"}, {"type": "text", "text": "A-1001"}]}]}
    # AND it is the conversation's answer, in its replies
    _, detail = call(api, "GET", f"/conversations/{conversation_id}", keys["agent_cs"])
    assert detail["first_reply_at"] and [r["id"] for r in detail["replies"]] == ["tpl-order-1"]
    # AND a template without parameters goes without a body component
    status, plain = call(api, "POST", f"/conversations/{conversation_id}/template-replies", keys["agent_cs"],
                         {"name": "follow_up", "language": "en_US", "idempotency_key": "tpl-follow-1"})
    assert status == 201, plain
    assert fake_platforms.sent("whatsapp")[-1].body["template"] == {
        "name": "follow_up", "language": {"policy": "deterministic", "code": "en_US"}}


def test_what_is_refused_sends_nothing(api, keys, fake_platforms):
    save(api, keys, [ORDER])
    conversation_id = whatsapp_conversation(api, "wamid.TPL2", "819000000102")
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["agent_cs"], {})[0] == 200

    attempts = iter(range(100))

    def send(who="agent_cs", conversation=conversation_id, **changes):
        body = {"name": "order_update", "language": "en_US", "parameters": ["Yui", "A-1001"],
                "idempotency_key": f"tpl-refused-{next(attempts)}", **changes}
        return call(api, "POST", f"/conversations/{conversation}/template-replies", keys[who], body)

    # a template nobody saved, or saved in another language
    assert send(name="shipping_delay")[1]["error"]["code"] == "unknown_template"
    assert send(language="ja")[1]["error"]["code"] == "unknown_template"
    # the wrong number of parameters, a blank one, one WhatsApp refuses
    for parameters in (["Yui"], ["Yui", " "], ["Yui", "A-1001\nand more"], ["Yui", "A-1001     B"]):
        status, refused = send(parameters=parameters)
        assert status == 400 and refused["error"]["code"] == "invalid_template_parameters", refused
    # someone who does not hold the conversation
    assert send(who="agent_both")[0] == 403
    # a conversation that is not on WhatsApp
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm("m.tpl3", "hello", sender="6100000000301")))
    assert response.status_code == 200
    assert call(api, "POST", "/conversations/messenger:m.tpl3/claim", keys["manager"], {})[0] == 200
    status, refused = send(who="manager", conversation="messenger:m.tpl3")
    assert status == 422 and refused["error"]["code"] == "template_unsupported"
    assert fake_platforms.sent("whatsapp") == [] and fake_platforms.sent("messenger") == []


def test_erasing_the_customer_takes_the_templates_parameters_with_the_reply_text(api, keys, fake_platforms):
    save(api, keys, [ORDER])
    conversation_id = whatsapp_conversation(api, "wamid.TPL4", "819000000104")
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["manager"], {})[0] == 200
    assert call(api, "POST", f"/conversations/{conversation_id}/template-replies", keys["manager"],
                {"name": "order_update", "language": "en_US", "parameters": ["Yui Sato", "A-1004"],
                 "idempotency_key": "tpl-erase-1"})[0] == 201
    status, erased = call(api, "POST", "/erasures", keys["admin"], {"platform": "whatsapp", "author_id": "819000000104"})
    assert status == 200 and erased["done"] is True
    from chalicelib.store import replies as reply_store

    stored = reply_store.get(conversation_id, "tpl-erase-1")
    assert stored.text == "" and stored.template is None
