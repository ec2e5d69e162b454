"""Retention (domain.privacy, RETENTION_DAYS): a conversation resolved or removed longer ago than the brand keeps
content is erased as a whole by the scheduled sweep (store.erasure.erase_closed), found through its head's sparse
GSI2 keys `CLOSED#<queue>`; one closed more recently, an open one, or any with the setting unset, keeps it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from support import reset_caches, scan_items, snapshot, triaged

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)  # when the conversations were written
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)  # when the sweep runs
QUEUE = "customer_service"


@pytest.fixture
def retention(monkeypatch):
    """RETENTION_DAYS as a brand sets it (the settings are read once per container: read them again)."""
    def keep(days: str | None) -> None:
        if days is None:
            monkeypatch.delenv("RETENTION_DAYS", raising=False)
        else:
            monkeypatch.setenv("RETENTION_DAYS", days)
        reset_caches()

    yield keep
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    reset_caches()


def manager():
    from chalicelib.domain.workflow import Actor

    return Actor("manager:Max", may_override=True)


def comment(native: str, *, at: datetime, author: str, parent: str | None = None, text: str | None = None):
    item = triaged(native, QUEUE, received_at=at, author=author, channel="reply" if parent else "comment",
                   text=text or f"{author} writes {native}: order 4471")
    return replace(item, message=replace(item.message, account="page1", parent_id=parent))


def save(item) -> str:
    from chalicelib.store import conversations

    return conversations.save_inbound(item, item.message.received_at).value


def get(message_id: str):
    from chalicelib.store.messages import get_message

    return get_message(message_id)


def a_public_thread(native: str, at: datetime) -> tuple[str, list[str]]:
    """Dana's comment, a reply of Sam's and one of Dana's under it, the brand's reply from the inbox and a note from
    the team: (the conversation, its members)."""
    from chalicelib.store import notes, replies

    assert save(comment(native, at=at, author="dana", text=f"I am Dana Reyes, order 4471 ({native})")) == "stored"
    conversation = f"facebook:{native}"
    members = []
    for i, author in enumerate(("sam", "dana"), 1):
        assert save(comment(f"{native}-r{i}", at=at + timedelta(minutes=i), author=author, parent=conversation,
                            text=f"{author} again about 4471 ({native})")) == "stored"
        members.append(f"facebook:{native}-r{i}")
    assert {get(m).conversation for m in members} == {conversation}
    draft = replies.StoredReply(id=f"{native}-reply", conversation=conversation, text="Sorry Dana, we refund 4471",
                                reply_to=conversation, by="agent:Cy", platform="facebook",
                                created_at=replies.iso(at + timedelta(minutes=5)), status=replies.SENDING,
                                request_hash=replies.request_hash("Sorry Dana, we refund 4471", conversation),
                                by_time=True)
    reserved, _ = replies.reserve(draft)
    replies.mark_sent(reserved, get(conversation), f"{native}-sent", at + timedelta(minutes=5))
    notes.add(notes.StoredNote(id=f"{native}-note", conversation=conversation, text="Dana is a repeat refunder",
                               by="agent:Cy", created_at=replies.iso(at + timedelta(minutes=6))))
    return conversation, members


def resolve(conversation: str, at: datetime):
    from chalicelib.store import queue

    return queue.resolve(get(conversation), manager(), "refunded Dana's 4471", at)


def sweep(at: datetime = NOW) -> dict:
    from chalicelib import sweeps

    return sweeps.run(at)


def words_of(table, conversation: str) -> list[str]:
    """Every item of the conversation (head, members, replies, notes) that still holds 4471 or Dana's name."""
    return sorted(f"{i['pk']} {i['sk']}" for i in scan_items(table)
                  if (i["pk"] == f"MSG#{conversation}" or i.get("conversation") == conversation)
                  and any(word in json.dumps(i) for word in ("4471", "Dana Reyes", "Sorry Dana", "refunder")))


def closed_index(table) -> list[str]:
    return sorted(f"{i['gsi2pk']} {i['gsi2sk']}" for i in scan_items(table) if i.get("gsi2pk", "").startswith("CLOSED#"))


def test_the_sweep_erases_a_conversation_closed_longer_ago_than_the_retention_period_as_a_whole(table, retention,
                                                                                               monkeypatch):
    # GIVEN a 90-day retention period, a public thread resolved 100 days before the sweep, one resolved 80 days
    # before it, and one still open since long before (its queue auto-resolves nothing within a year)
    monkeypatch.setenv("AUTO_RESOLVE_CUSTOMER_SERVICE", str(365 * 86400))
    retention("90")
    old, old_members = a_public_thread("old", T0)
    resolve(old, NOW - timedelta(days=100))
    recent, _ = a_public_thread("recent", T0 + timedelta(hours=1))
    resolve(recent, NOW - timedelta(days=80))
    still_open, _ = a_public_thread("open", T0 + timedelta(hours=2))
    assert closed_index(table) == [f"CLOSED#{QUEUE} {get(old).resolved_at}#{old}",
                                   f"CLOSED#{QUEUE} {get(recent).resolved_at}#{recent}"]
    # WHEN the scheduled sweep runs
    done = sweep()
    # THEN the old conversation is erased as a whole: its head, both authors' replies under it, the brand's reply
    # and the team's note and resolution note; it stays resolved in its queue, counted
    assert done[QUEUE]["erased"] == 1 and done["stance"]["erased"] == done["community"]["erased"] == 0
    assert words_of(table, old) == []
    for message_id in (old, *old_members):
        erased = get(message_id)
        assert erased.text == "" and erased.erased == {"at": replace_iso(NOW), "by": "system:sweep",
                                                       "reason": "retention"}
        assert erased.history[-1] == {"event": "erased", "at": replace_iso(NOW), "actor": "system:sweep",
                                      "details": {"reason": "retention"}}
    assert get(old).status == "resolved" and get(old).message_count == 3 and get(old).resolution_note is None
    # AND it left the retention index: the next sweep does not read it again
    assert closed_index(table) == [f"CLOSED#{QUEUE} {get(recent).resolved_at}#{recent}"]
    # AND the conversation resolved more recently and the open one keep every word
    assert len(words_of(table, recent)) == 5 and len(words_of(table, still_open)) == 5
    # AND running the sweep again changes nothing
    before = snapshot(table)
    assert sweep()[QUEUE]["erased"] == 0 and snapshot(table) == before


def replace_iso(moment: datetime) -> str:
    from chalicelib.store.entities import iso

    return iso(moment)


def test_with_the_setting_unset_nothing_ages_out_and_the_index_is_not_read(table, retention, monkeypatch):
    from chalicelib.store import erasure

    # GIVEN no retention period, and a conversation resolved ten years ago
    retention(None)
    old, _ = a_public_thread("old", T0 - timedelta(days=3700))
    resolve(old, T0 - timedelta(days=3650))
    read: list[str] = []
    monkeypatch.setattr(erasure, "closed_before", lambda queue, *_: read.append(queue) or [])
    # WHEN the sweep runs
    done = sweep()
    # THEN it erased nothing, and did not even look
    assert {done[q]["erased"] for q in ("customer_service", "stance", "community")} == {0}
    assert len(words_of(table, old)) == 5 and read == []


def test_a_reopened_conversation_leaves_the_retention_index_and_a_removed_one_enters_it(table, retention):
    from chalicelib.store import queue
    from chalicelib.store.messages import mark_removed

    # GIVEN a resolved conversation, in the retention index by when it was resolved
    retention("30")
    first, members = a_public_thread("c1", T0)
    resolve(first, T0 + timedelta(days=1))
    assert closed_index(table) == [f"CLOSED#{QUEUE} {get(first).resolved_at}#{first}"]
    # WHEN a manager reopens it
    queue.reopen(get(first), manager(), "the refund bounced", T0 + timedelta(days=2))
    # THEN it is open again, and out of the retention index: a sweep long after erases nothing
    assert get(first).status == "open" and closed_index(table) == []
    assert sweep(T0 + timedelta(days=400))[QUEUE]["erased"] == 0 and len(words_of(table, first)) == 5
    # AND its members were never in GSI2 (they are listed under their conversation only)
    assert not [i for i in scan_items(table) if i["pk"] in {f"MSG#{m}" for m in members} and "gsi2pk" in i]
    # WHEN it is deleted on the platform
    assert mark_removed(first, T0 + timedelta(days=3), "platform").value == "removed"
    # THEN it is in the index by when it was removed, and ages out from then
    assert closed_index(table) == [f"CLOSED#{QUEUE} {get(first).removed_at}#{first}"]
    assert sweep(T0 + timedelta(days=32))[QUEUE]["erased"] == 0
    assert sweep(T0 + timedelta(days=34))[QUEUE]["erased"] == 1 and words_of(table, first) == []


def test_a_conversation_auto_resolved_or_resolved_in_bulk_is_in_the_retention_index(table, api, keys, retention):
    from chalicelib.store import queue

    # GIVEN a conversation the sweep auto-resolves, and one a manager resolves in bulk
    retention("30")
    auto, _ = a_public_thread("auto", T0)
    bulk, _ = a_public_thread("bulk", T0 + timedelta(days=10))
    assert queue.sweep(QUEUE, T0 + timedelta(days=20), timedelta(days=14))["auto_resolved"] == 1
    from support import call

    status, body = call(api, "POST", "/conversations/bulk", keys["manager"],
                        {"action": "resolve", "conversation_ids": [bulk]})
    assert status == 200 and get(bulk).status == "resolved", body
    # THEN both are in the retention index, each by when it was resolved
    assert closed_index(table) == sorted([f"CLOSED#{QUEUE} {get(auto).resolved_at}#{auto}",
                                          f"CLOSED#{QUEUE} {get(bulk).resolved_at}#{bulk}"])


def test_erasing_a_conversation_twice_changes_nothing_and_a_conversation_reopened_meanwhile_is_left(table):
    from chalicelib.store import erasure, queue
    from chalicelib.store.entities import iso

    first, _ = a_public_thread("c1", T0)
    resolve(first, T0 + timedelta(days=1))
    # GIVEN a conversation the sweep found closed before its cutoff, reopened before the sweep erased it
    cutoff = iso(T0 + timedelta(days=40))
    assert erasure.closed_before(QUEUE, cutoff) == [first]
    queue.reopen(get(first), manager(), "the refund bounced", T0 + timedelta(days=41))
    # WHEN the sweep erases it THEN nothing is erased: it is open
    before = snapshot(table)
    outcome = erasure.erase_conversation(first, NOW, "system:sweep", "retention", closed_before=cutoff)
    assert outcome.value == "unchanged" and snapshot(table) == before
    # AND erased without that check (as an operator would), a second time changes nothing
    assert erasure.erase_conversation(first, NOW, "system:sweep", "retention").value == "updated"
    assert words_of(table, first) == []
    before = snapshot(table)
    assert erasure.erase_conversation(first, NOW, "system:sweep", "retention").value == "unchanged"
    assert snapshot(table) == before
    assert erasure.erase_conversation("facebook:never", NOW, "system:sweep", "retention").value == "unknown"


def test_a_conversation_erased_on_its_customers_request_still_ages_out_with_the_others_words(table, retention):
    from chalicelib.store import erasure

    # GIVEN a resolved thread whose customer (Dana) was erased on request: Sam's reply in it kept its text
    retention("30")
    first, (sams, _) = a_public_thread("c1", T0)
    resolve(first, T0 + timedelta(days=1))
    progress = erasure.erase_customer("facebook", "dana", T0 + timedelta(days=2), "admin:Ada", None,
                                      deadline=float("inf"))
    assert progress.done and get(sams).text and not get(first).text
    # WHEN the retention period has passed
    done = sweep(T0 + timedelta(days=40))
    # THEN the rest of the thread is erased too, and the conversation leaves the index
    assert done[QUEUE]["erased"] == 1 and get(sams).text == "" and get(sams).erased["reason"] == "retention"
    assert get(first).erased["reason"] == "customer_request" and closed_index(table) == []


def test_a_sweep_out_of_time_leaves_the_conversation_in_the_index_and_the_next_goes_on(table, retention, monkeypatch):
    from chalicelib import sweeps

    # GIVEN a conversation past the retention period, and a sweep whose time is up before it starts on it
    retention("30")
    first, members = a_public_thread("c1", T0)
    resolve(first, T0 + timedelta(days=1))
    monkeypatch.setattr(sweeps, "RETENTION_UNTIL_SECONDS", -1.0)
    # WHEN it runs THEN it erases nothing, and the conversation is still in the index
    assert sweep(T0 + timedelta(days=40))[QUEUE]["erased"] == 0
    assert len(words_of(table, first)) == 5 and len(closed_index(table)) == 1
    # AND the next sweep, with its time, erases it
    monkeypatch.setattr(sweeps, "RETENTION_UNTIL_SECONDS", 14.0)
    assert sweep(T0 + timedelta(days=40, minutes=5))[QUEUE]["erased"] == 1 and words_of(table, first) == []


def test_the_sweep_is_bounded_per_queue_and_takes_the_longest_closed_first(table, retention, monkeypatch):
    from chalicelib.store import erasure

    # GIVEN three conversations resolved on three days, all past the retention period, and a bound of two per run
    # (one page of two)
    retention("30")
    ids = []
    for day in (3, 1, 2):
        conversation, _ = a_public_thread(f"d{day}", T0)
        resolve(conversation, T0 + timedelta(days=day))
        ids.append(conversation)
    monkeypatch.setattr(erasure, "RETENTION_BATCH", 2)
    monkeypatch.setattr(erasure, "RETENTION_ROUNDS", 1)
    # WHEN the sweep runs twice
    assert sweep(T0 + timedelta(days=60))[QUEUE]["erased"] == 2
    # THEN the first took the two closed first, the second the last
    assert [bool(words_of(table, c)) for c in ids] == [True, False, False]
    assert sweep(T0 + timedelta(days=60, minutes=5))[QUEUE]["erased"] == 1
    assert not any(words_of(table, c) for c in ids)


def test_a_backlog_is_worked_off_page_by_page_in_one_run_while_there_is_time(table, retention, monkeypatch):
    from chalicelib.store import erasure

    # GIVEN five conversations past the retention period and pages of two
    retention("30")
    ids = []
    for day in range(5):
        conversation, _ = a_public_thread(f"b{day}", T0)
        resolve(conversation, T0 + timedelta(days=day))
        ids.append(conversation)
    monkeypatch.setattr(erasure, "RETENTION_BATCH", 2)
    # WHEN the sweep runs once THEN it reads page after page and erases them all
    assert sweep(T0 + timedelta(days=60))[QUEUE]["erased"] == 5
    assert not any(words_of(table, c) for c in ids) and closed_index(table) == []
