"""Saved replies over the API: managers keep approved answers per queue and language; agents read those of their
queues; the limit holds under concurrent adds; a change is made only at the revision its editor read."""

from __future__ import annotations

import threading

import pytest

from support import call, snapshot

HOLDING = {"title": "Boycott: holding statement", "text": "Hi {{customer_name}}, we hear you. Our statement is here.",
           "queues": ["stance"], "language": "en"}


def create(api, who, **fields):
    status, body = call(api, "POST", "/saved-replies", who, {**HOLDING, **fields})
    assert status == 201, body
    return body


def titles(api, who) -> list[str]:
    status, body = call(api, "GET", "/saved-replies", who)
    assert status == 200, body
    return [s["title"] for s in body["saved_replies"]]


def test_agents_see_the_saved_replies_of_their_queues_and_those_for_every_queue_by_title(api, keys):
    # GIVEN saved replies for stance, for customer service and community, and for every queue
    create(api, keys["manager"], title="Stance only", queues=["stance"])
    create(api, keys["manager"], title="delivery delay", queues=["customer_service", "community"], language=None)
    create(api, keys["admin"], title="Anyone: thanks", queues=[], language="ja")
    # WHEN each reads the list THEN each sees what their queues use, sorted by title whatever its case
    assert titles(api, keys["agent_stance"]) == ["Anyone: thanks", "Stance only"]
    assert titles(api, keys["agent_cs"]) == ["Anyone: thanks", "delivery delay"]
    assert titles(api, keys["manager"]) == ["Anyone: thanks", "delivery delay", "Stance only"]


def test_a_saved_reply_records_who_wrote_it_and_keeps_its_queues_once_in_order(api, keys):
    saved = create(api, keys["manager"], queues=["stance", "community", "stance"])
    assert saved["queues"] == ["community", "stance"]
    assert saved["created_by"].startswith("manager:Max") and saved["updated_by"] == saved["created_by"]
    assert saved["rev"] == 1 and len(saved["id"]) == 16


def test_a_change_is_made_only_at_the_revision_its_editor_read(api, keys, table):
    saved = create(api, keys["manager"])
    # GIVEN two managers who read it at rev 1; the first changes it
    first = {**HOLDING, "text": "Updated statement", "rev": 1}
    status, changed = call(api, "PUT", f"/saved-replies/{saved['id']}", keys["manager"], first)
    assert status == 200 and changed["rev"] == 2 and changed["text"] == "Updated statement"
    assert changed["created_at"] == saved["created_at"] and changed["updated_at"] >= saved["updated_at"]
    # WHEN the second saves her change, made at rev 1
    before = snapshot(table)
    status, body = call(api, "PUT", f"/saved-replies/{saved['id']}", keys["admin"], {**HOLDING, "text": "Mine", "rev": 1})
    # THEN it is refused, and the first change stands
    assert status == 409 and body["error"]["code"] == "concurrent_change", body
    assert snapshot(table) == before
    status, body = call(api, "GET", "/saved-replies", keys["manager"])
    assert [s["text"] for s in body["saved_replies"]] == ["Updated statement"]


def test_unknown_saved_replies_are_404_and_a_deleted_one_is_gone(api, keys):
    saved = create(api, keys["manager"])
    assert call(api, "PUT", "/saved-replies/0000000000000000", keys["manager"], {**HOLDING, "rev": 1})[1]["error"]["code"] \
        == "unknown_saved_reply"
    assert call(api, "DELETE", "/saved-replies/0000000000000000", keys["manager"])[0] == 404
    assert call(api, "DELETE", f"/saved-replies/{saved['id']}", keys["manager"])[0] == 204
    assert titles(api, keys["manager"]) == []
    assert call(api, "DELETE", f"/saved-replies/{saved['id']}", keys["manager"])[0] == 404


@pytest.mark.parametrize("change", [
    {"title": " "}, {"title": "x" * 81}, {"text": ""}, {"text": "\n\t"}, {"text": "x" * 4001},
    {"queues": ["billing"]}, {"queues": "stance"}, {"language": "fr"}, {"owner": "me"},
])
def test_an_invalid_saved_reply_is_a_400_and_stores_nothing(api, keys, table, change):
    before = snapshot(table)
    status, body = call(api, "POST", "/saved-replies", keys["manager"], {**HOLDING, **change})
    assert status == 400 and body["error"]["code"], body
    assert snapshot(table) == before


def test_the_limit_refuses_one_more_until_one_is_deleted(api, keys, table, monkeypatch):
    from chalicelib.store import saved_replies

    monkeypatch.setattr(saved_replies, "MAX_SAVED_REPLIES", 3)
    made = [create(api, keys["manager"], title=f"Reply {i}") for i in range(3)]
    before = snapshot(table)
    status, body = call(api, "POST", "/saved-replies", keys["manager"], HOLDING)
    assert status == 409 and body["error"]["code"] == "saved_replies_full", body
    assert snapshot(table) == before
    assert call(api, "DELETE", f"/saved-replies/{made[0]['id']}", keys["manager"])[0] == 204
    create(api, keys["manager"], title="Reply 3")
    assert titles(api, keys["manager"]) == ["Reply 1", "Reply 2", "Reply 3"]


def test_concurrent_adds_never_pass_the_limit(local_dynamodb, monkeypatch):
    from chalicelib.domain.errors import SavedRepliesFull
    from chalicelib.store import saved_replies
    from chalicelib.store.entities import StoredSavedReply

    # GIVEN a limit of 5 and 12 managers adding at once
    monkeypatch.setattr(saved_replies, "MAX_SAVED_REPLIES", 5)
    outcomes: list[str] = []

    def add(n: int) -> None:
        try:
            saved_replies.create(StoredSavedReply.new(f"R{n}", "text", [], None, "manager:M", "2026-12-04T00:00:00.000000Z"))
            outcomes.append("saved")
        except SavedRepliesFull:
            outcomes.append("full")

    workers = [threading.Thread(target=add, args=(n,)) for n in range(12)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # THEN exactly five are kept, and the count says five
    assert sorted(outcomes) == ["full"] * 7 + ["saved"] * 5
    assert len(saved_replies.list_all()) == 5
