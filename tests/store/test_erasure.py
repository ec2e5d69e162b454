"""store.erasure: one message's content erased by one guarded update (with the re-route records that copied its
text), worked out again on the message as it now is when it changed meanwhile; an erased message is never scored
or edited back."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from support import scan_items, seed_message

NOW = datetime.now(timezone.utc)


def erase(message_id: str, **kwargs):
    from chalicelib.store import erasure

    return erasure.erase_message(message_id, NOW, "admin:Ada", "customer_request", **kwargs)


def rerouted(native: str, text: str):
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import queue
    from chalicelib.store.messages import get_message

    message_id = seed_message(native, "customer_service", text=text)
    queue.reroute(get_message(message_id), Actor("manager:Max", may_override=True), "stance",
                  "Reyes complains about our Pride post", NOW)
    return message_id


def test_a_rerouted_message_takes_the_text_its_correction_kept_for_retraining_with_it(table):
    from chalicelib import cli

    # GIVEN a re-routed message: its correction item kept its text for retraining
    message_id = rerouted("r1", "I am Dana, 33 Elm Road, and your Pride post is an insult")
    other = rerouted("r2", "this campaign is performative")
    # WHEN it alone is erased
    assert erase(message_id).value == "updated"
    # THEN its correction item has no text left (the re-route still counts), and the export has no row for it
    corrections = {i["message_id"]: i for i in scan_items(table) if i["pk"] == "CORRECTION"}
    assert corrections[message_id]["text"] == "" and corrections[message_id]["to"] == "stance"
    assert corrections[other]["text"] == "this campaign is performative"
    out = io.StringIO()
    assert cli.export_corrections(out) == 1
    assert [json.loads(line)["text"] for line in out.getvalue().splitlines()] == ["this campaign is performative"]


def test_erasing_a_customers_conversation_also_drops_the_words_the_team_wrote_about_them(table):
    from chalicelib.store.messages import get_message

    message_id = rerouted("r1", "I am Dana, complaining")
    assert erase(message_id, whole_conversation=True).value == "updated"
    stored = get_message(message_id)
    # the re-route stays (from, to, who, when) without the words why, in the message and in its correction item
    assert [c.get("reason") for c in stored.corrections] == [None] and stored.corrections[0]["to"] == "stance"
    assert "Reyes" not in json.dumps(stored.history) and [e["event"] for e in stored.history][-2:] == ["rerouted", "erased"]
    assert "Reyes" not in json.dumps(scan_items(table))


def test_an_erasure_that_meets_a_change_is_done_on_the_message_as_it_now_is(table, monkeypatch):
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import erasure, queue
    from chalicelib.store.messages import get_message

    message_id = seed_message("c1", "customer_service", text="call me on 555-0100")
    real = erasure.apply_guarded
    raced = []

    def claimed_meanwhile(stored, operations, entry):
        if not raced:  # an agent claims it between the erasure's read and its write
            raced.append(queue.claim("customer_service", Actor("agent:Cy"), 1, 900, NOW)[0].id)
        return real(stored, operations, entry)

    monkeypatch.setattr(erasure, "apply_guarded", claimed_meanwhile)
    assert erase(message_id).value == "updated"
    stored = get_message(message_id)
    assert raced == [message_id] and stored.text == "" and stored.status == "claimed"
    assert [e["event"] for e in stored.history][-2:] == ["claimed", "erased"]


def test_erasing_twice_or_erasing_nothing_changes_nothing(table):
    from support import snapshot

    message_id = seed_message("c1", "community", text="hello")
    assert erase(message_id).value == "updated"
    before = snapshot(table)
    assert erase(message_id).value == "unchanged" and snapshot(table) == before
    assert erase("facebook:never-stored").value == "unknown"


def test_an_erased_message_is_not_given_a_second_opinion(table):
    from chalicelib.classifier import Triage
    from chalicelib.store.messages import apply_second_opinion, get_message

    message_id = seed_message("c1", "community", text="hello")
    erase(message_id)
    verdict = Triage(category="stance", confidence=0.9, scores={"stance": 0.9, "community": 0.05,
                                                                "customer_service": 0.05},
                     top_terms=[], model_version="second-test", needs_review=False)
    assert apply_second_opinion(get_message(message_id), verdict, NOW + timedelta(seconds=5)).value == "unchanged"
    assert get_message(message_id).queue == "community"


def test_a_head_its_author_deleted_loses_the_teams_words_too_when_its_customer_is_erased(table):
    from chalicelib.store import erasure
    from chalicelib.store.messages import get_message

    # GIVEN a re-routed conversation whose first message its author then deleted on the platform (erased alone)
    message_id = rerouted("r1", "I am Dana, complaining")
    assert erasure.erase_message(message_id, NOW, "platform", "deleted_on_platform").value == "updated"
    assert "Reyes" in json.dumps(get_message(message_id).history)
    # WHEN the customer's whole conversation is erased on their request, twice
    assert erase(message_id, whole_conversation=True, note="DSR-9").value == "unchanged"
    stored = get_message(message_id)
    assert "Reyes" not in json.dumps(scan_items(table))
    assert [(e["event"], (e.get("details") or {}).get("reason")) for e in stored.history][-2:] == [
        ("erased", "deleted_on_platform"), ("erased", "customer_request")]
    assert stored.erased["reason"] == "deleted_on_platform"  # the first erasure's record stands
    # THEN the second time there is nothing left to do: no other entry
    assert erase(message_id, whole_conversation=True, note="DSR-9").value == "unchanged"
    assert len(get_message(message_id).history) == len(stored.history)
