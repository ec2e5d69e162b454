"""The SLA breach in the console (chalicelib/domain/sla.py; the sweep marks it, `sla_breach` on the conversation), against
`make run`'s stack (see conftest.py).

GIVEN an open conversation nobody took whose customer has waited past the queue's SLA (the sweep's mark, written here
as the sweep writes it: the sweep does not run under the console's server)
WHEN an agent looks at her queue and opens it
THEN the row and the conversation say "Past SLA", with the SLA and since when; its history says it waited past the SLA
with nobody on it; once she takes it, the badge goes (someone is on it).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from .conftest import conversation_in_customer_service


def breached(stack, conversation: str) -> None:
    """What the sweep writes on a conversation whose customer has waited past the one-hour SLA since their message:
    the mark, a history entry, a new revision."""
    _, detail = stack.call("GET", f"/conversations/{conversation}")
    since = detail.get("last_inbound_at") or detail["received_at"]
    found = (datetime.now(timezone.utc) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    client, table = stack.table()
    mark = {"M": {"waiting_since": {"S": since}, "sla_seconds": {"N": "3600"}, "business_hours": {"BOOL": False},
                  "at": {"S": found}}}
    entry = {"M": {"event": {"S": "sla_breached"}, "at": {"S": found}, "actor": {"S": "system:sweep"},
                   "details": {"M": {"sla_seconds": {"N": "3600"}}}}}
    client.update_item(TableName=table, Key={"pk": {"S": f"MSG#{conversation}"}, "sk": {"S": "MSG"}},
                       UpdateExpression="SET sla_breach = :mark, history = list_append(history, :entry), rev = rev + :one",
                       ConditionExpression="attribute_exists(pk)",
                       ExpressionAttributeValues={":mark": mark, ":entry": {"L": [entry]}, ":one": {"N": "1"}})


def test_an_unheld_conversation_past_its_sla_says_so_until_someone_takes_it(console, screenshot):
    stack = console.stack
    suffix = secrets.token_hex(3)
    conversation = conversation_in_customer_service(stack, f"Still no answer about my refund {suffix}, it has been hours",
                                                    f"8{secrets.randbelow(10 ** 9):09d}", "Waiting Customer")
    breached(stack, conversation)
    # WHEN the agent looks at her queue THEN its row says Past SLA, with the SLA and since when on hover
    console.sign_in("agent")
    row = console.wait(lambda d: next((r for r in console.all("#message-list a.row")
                                       if r.get_attribute("data-id") == conversation), None), "the conversation's row")
    badge = row.find_element("css selector", ".badge-sla")
    assert badge.text == "Past SLA" and "1 hour" in badge.get_attribute("title"), badge.get_attribute("title")
    # WHEN she opens it THEN the header says so too, and its history names the wait
    row.click()
    console.text_in(".detail-head .badge-sla", "Past SLA")
    console.text_in(".detail-pane", "Waited past the SLA with nobody on it")
    screenshot("agent-past-sla")
    # WHEN she takes it THEN nobody is waiting on nobody any more: the badge goes
    status, _ = stack.call("POST", f"/conversations/{conversation}/claim", key=stack.keys["agent"], body={})
    assert status == 200
    _, detail = stack.call("GET", f"/conversations/{conversation}")
    assert detail["sla_breach"]["sla_seconds"] == 3600 and detail["status"] == "claimed"
    console.driver.refresh()
    console.text_in(".detail-head", "Claimed")
    assert not console.all(".detail-head .badge-sla")
