"""SLA breaches (domain.sla, store.sla, run by the scheduled sweep): a conversation open and held by nobody whose
customer has waited past its queue's SLA is marked once per wait, read by the API and announced; each sweep reads only
what crossed the SLA since the one before."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from chalicelib.events import derive
from chalicelib.store import conversations
from chalicelib.store.entities import iso
from support import call, triaged

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
QUEUE = "customer_service"  # its SLA: an hour (settings SLA_CUSTOMER_SERVICE)


def sweep(moment: datetime) -> dict:
    from chalicelib import sweeps

    return sweeps.run(moment)


def comment(native: str, at: datetime, parent: str | None = None, author: str = "dana") -> str:
    """A customer's public comment (or, with `parent`, a reply in its thread) stored as the webhook stores it."""
    item = triaged(native, QUEUE, received_at=at, author=author, channel="reply" if parent else "comment")
    item = replace(item, message=replace(item.message, account="page1", parent_id=parent))
    assert conversations.save_inbound(item, at).value == "stored"
    return item.message.id


def conversation(api, keys, conversation_id: str) -> dict:
    status, detail = call(api, "GET", f"/conversations/{conversation_id}", keys["manager"])
    assert status == 200, detail
    return detail


def test_a_conversation_that_crosses_its_sla_unclaimed_is_marked_once_per_wait(api, keys):
    # GIVEN the sweep has run once (it notes where to start), then two customers write
    assert sweep(T0)[QUEUE]["sla_breached"] == 0
    waiting = comment("sla1", T0 + timedelta(minutes=5))
    taken = comment("sla2", T0 + timedelta(minutes=6))
    # AND an agent takes one of them
    assert call(api, "POST", f"/conversations/{taken}/claim", keys["agent_cs"], {})[0] == 200
    # WHEN the sweep runs before the hour is up THEN nothing breached
    assert sweep(T0 + timedelta(minutes=50))[QUEUE]["sla_breached"] == 0
    # WHEN it runs after THEN only the one nobody took is marked, with the wait that broke the SLA
    assert sweep(T0 + timedelta(minutes=70))[QUEUE]["sla_breached"] == 1
    detail = conversation(api, keys, waiting)
    assert detail["sla_breach"] == {"waiting_since": iso(T0 + timedelta(minutes=5)), "sla_seconds": 3600,
                                    "business_hours": False, "at": iso(T0 + timedelta(minutes=70))}
    assert [(h["event"], h["actor"]) for h in detail["history"]][-1] == ("sla_breached", "system:sweep")
    assert "sla_breach" not in conversation(api, keys, taken)
    # AND the stats count it, by the hour it was found
    day = f"from={T0.date()}&to={T0.date() + timedelta(days=1)}"
    _, stats = call(api, "GET", f"/stats?{day}&granularity=hour&tz=UTC", keys["manager"])
    assert {r["queue"]: r["sla_breaches"] for r in stats["sla"]} == {QUEUE: 1, "stance": 0, "community": 0}
    [hour] = [b["start"] for b in stats["buckets"] if b["response_times"][QUEUE]["sla_breaches"]]
    assert hour.startswith("2026-11-20T10:00")
    # AND later sweeps mark it no more
    assert sweep(T0 + timedelta(minutes=75))[QUEUE]["sla_breached"] == 0
    assert sweep(T0 + timedelta(hours=3))[QUEUE]["sla_breached"] == 0
    # WHEN the customer writes again and waits past the SLA once more THEN that new wait is marked
    comment("sla1-again", T0 + timedelta(hours=3, minutes=5), parent=waiting)
    assert sweep(T0 + timedelta(hours=3, minutes=30))[QUEUE]["sla_breached"] == 0
    assert sweep(T0 + timedelta(hours=4, minutes=10))[QUEUE]["sla_breached"] == 1
    assert conversation(api, keys, waiting)["sla_breach"]["waiting_since"] == iso(T0 + timedelta(hours=3, minutes=5))


def test_the_first_sweep_announces_no_backlog_and_a_crisis_is_announced_over_several_sweeps(api, keys, monkeypatch):
    from chalicelib.store import sla

    # GIVEN a backlog from before the first sweep
    comment("old", T0 - timedelta(hours=5))
    assert sweep(T0)[QUEUE]["sla_breached"] == 0
    assert sweep(T0 + timedelta(hours=2))[QUEUE]["sla_breached"] == 0
    # AND then a crisis wave of five, more than a sweep reads at once (here three)
    monkeypatch.setattr(sla, "BATCH", 3)
    wave = [comment(f"wave{n}", T0 + timedelta(hours=2, minutes=n)) for n in range(5)]
    # WHEN the sweeps run after the SLA THEN the first marks three, the next goes on from the last it read (marked
    # already) and marks the rest, each once
    marked = [sweep(T0 + timedelta(hours=3, minutes=10 + m))[QUEUE]["sla_breached"] for m in range(3)]
    assert marked == [3, 2, 0]
    assert all("sla_breach" in conversation(api, keys, w) for w in wave)
    assert "sla_breach" not in conversation(api, keys, "facebook:old")


def test_a_breach_is_announced_as_message_sla_breached():
    # GIVEN a conversation's item before and after the sweep marked it (as the stream carries them)
    from chalicelib.store.messages import history_entry, message_item

    before = message_item(triaged("ev1", QUEUE, received_at=T0))
    after = {**before, "rev": before["rev"] + 1,
             "history": [*before["history"], history_entry("sla_breached", T0 + timedelta(minutes=65), "system:sweep",
                                                           sla_seconds=3600)],
             "sla_breach": {"waiting_since": iso(T0), "sla_seconds": 3600, "business_hours": True,
                            "at": iso(T0 + timedelta(minutes=65))}}
    # WHEN it is derived THEN it is one message.sla_breached by the sweep, with the SLA and the wait
    (event,) = derive.derive(before, after)
    assert event.type == "message.sla_breached" and event.actor == "system:sweep" and event.status == "open"
    assert event.data.model_dump() == {"sla_seconds": 3600, "waiting_since": iso(T0), "business_hours": True}
    assert event.occurred_at == iso(T0 + timedelta(minutes=65))
