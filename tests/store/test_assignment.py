"""Assignment over the API: a manager hands a conversation to a person who works its queue (Zendesk's assignee,
Chatwoot's assign); it is claimed for them with a lease, so their "Yours" list and every rule of a claim apply."""

from __future__ import annotations

import pytest

from support import call, counted_from_messages, seed_message, snapshot


@pytest.fixture
def people(api, keys):
    """The team as GET /team shows it, by name."""
    status, body = call(api, "GET", "/team", keys["manager"])
    assert status == 200, body
    return {member["name"]: member for member in body["members"]}


def assign(api, who, conversation: str, key_id: str, **extra):
    return call(api, "POST", f"/conversations/{conversation}/assign", who, {"key_id": key_id, **extra})


def test_the_team_lists_everyone_with_a_live_key_by_name_without_secrets(api, keys, people):
    assert list(people) == ["Ada", "Aiko", "Bo", "Cy", "Max"]
    assert people["Cy"]["queues"] == ["customer_service"] and people["Cy"]["role"] == "agent"
    assert people["Cy"]["actor"] == f"agent:Cy ({people['Cy']['key_id']})"
    assert not any("secret" in field or "key" == field for member in people.values() for field in member)
    # AND a revoked key is nobody to assign to
    assert call(api, "DELETE", f"/admin/keys/{people['Bo']['key_id']}", keys["admin"])[0] == 204
    _, body = call(api, "GET", "/team", keys["manager"])
    assert "Bo" not in {m["name"] for m in body["members"]}
    # AND agents do not see the team
    assert call(api, "GET", "/team", keys["agent_cs"])[0] == 403


def test_a_manager_assigns_an_open_conversation_and_it_is_the_assignees_claim(api, keys, table, people):
    # GIVEN an open conversation nobody holds
    conversation = seed_message("a1", "customer_service", text="A journalist asking about the recall")
    # WHEN the manager assigns it to Cy
    status, body = assign(api, keys["manager"], conversation, people["Cy"]["key_id"])
    # THEN it is claimed for Cy, with a 4-hour lease, and the history says who assigned it
    assert status == 200, body
    assert body["status"] == "claimed" and body["claimed_by"] == people["Cy"]["actor"]
    _, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    entry = detail["history"][-1]
    assert entry["event"] == "assigned" and entry["actor"].startswith("manager:Max")
    assert entry["details"]["to"] == people["Cy"]["actor"]
    # AND it is in Cy's own list, and Cy may reply, resolve or release it as her claim
    _, mine = call(api, "GET", "/me/conversations", keys["agent_cs"])
    assert [c["id"] for c in mine["conversations"]] == [conversation]
    assert call(api, "POST", f"/conversations/{conversation}/resolve", keys["agent_cs"], {})[0] == 200
    # AND the queue counts moved exactly as the messages did
    _, queues = call(api, "GET", "/queues", keys["manager"])
    counted = {q["queue"]: {k: q[k] for k in ("open", "claimed", "snoozed", "needs_review")} for q in queues["queues"]}
    assert counted == counted_from_messages(table)


def test_a_manager_reassigns_a_conversation_another_agent_holds(api, keys, people):
    conversation = seed_message("a2", "customer_service")
    assert call(api, "POST", f"/conversations/{conversation}/claim", keys["agent_both"], {})[0] == 200
    # WHEN the manager hands it from Bo to Cy
    status, body = assign(api, keys["manager"], conversation, people["Cy"]["key_id"], lease_seconds=600)
    # THEN Cy holds it and Bo no longer may act on it
    assert status == 200 and body["claimed_by"] == people["Cy"]["actor"], body
    status, refused = call(api, "POST", f"/conversations/{conversation}/release", keys["agent_both"])
    assert status == 403 and refused["error"]["code"] == "not_claim_holder", refused


@pytest.mark.parametrize("who, to, status, code", [
    ("Aiko", None, 422, "assignee_outside_queue"),  # works only stance
    ("revoked", None, 422, "unknown_assignee"),
    ("nobody", "0123456789abcdef", 422, "unknown_assignee"),
])
def test_nobody_who_cannot_hold_it_is_assigned_and_nothing_changes(api, keys, table, people, who, to, status, code):
    conversation = seed_message("a3", "customer_service")
    if who == "revoked":
        assert call(api, "DELETE", f"/admin/keys/{people['Bo']['key_id']}", keys["admin"])[0] == 204
        to = people["Bo"]["key_id"]
    before = snapshot(table)
    answered, body = assign(api, keys["manager"], conversation, to or people[who]["key_id"])
    assert answered == status and body["error"]["code"] == code, body
    assert snapshot(table) == before


def test_agents_cannot_assign_and_a_resolved_conversation_is_not_assigned(api, keys, table, people):
    conversation = seed_message("a4", "customer_service")
    before = snapshot(table)
    status, body = assign(api, keys["agent_cs"], conversation, people["Cy"]["key_id"])
    assert status == 403 and body["error"]["code"] == "forbidden_role", body
    # AND not through the bulk route either: each item is refused as the single action would be
    status, body = call(api, "POST", "/conversations/bulk", keys["agent_cs"],
                        {"action": "assign", "conversation_ids": [conversation], "key_id": people["Cy"]["key_id"]})
    assert status == 200 and body["results"][0]["outcome"] == "forbidden_role", body
    assert snapshot(table) == before
    assert call(api, "POST", f"/conversations/{conversation}/resolve", keys["manager"], {})[0] == 200
    status, body = assign(api, keys["manager"], conversation, people["Cy"]["key_id"])
    assert status == 409 and body["error"]["code"] == "wrong_status", body


def test_a_manager_hands_a_crisis_thread_to_one_person_in_one_request(api, keys, people):
    incident = [seed_message(f"crisis{i}", "customer_service") for i in range(3)]
    assert call(api, "POST", f"/conversations/{incident[0]}/claim", keys["agent_both"], {})[0] == 200
    status, body = call(api, "POST", "/conversations/bulk", keys["manager"],
                        {"action": "assign", "conversation_ids": incident, "key_id": people["Cy"]["key_id"]})
    assert status == 200 and body["done"] == 3, body
    _, mine = call(api, "GET", "/me/conversations", keys["agent_cs"])
    assert sorted(c["id"] for c in mine["conversations"]) == sorted(incident)
