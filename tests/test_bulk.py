"""Bulk actions over the API: one action on many conversations, each by the single action's rules, each with its
own outcome; a spam wave found by its author and resolved in one request."""

from __future__ import annotations

import pytest

from support import call, counted_from_messages, seed_message, snapshot


def bulk(api, who, action: str, ids: list[str], **extra):
    status, body = call(api, "POST", "/conversations/bulk", who, {"action": action, "conversation_ids": ids, **extra})
    assert status == 200, body
    return body


def queue_counts(api, who) -> dict[str, dict[str, int]]:
    _, body = call(api, "GET", "/queues", who)
    return {q["queue"]: {k: q[k] for k in ("open", "claimed", "snoozed", "needs_review")} for q in body["queues"]}


def test_a_manager_resolves_a_spam_wave_found_by_its_author_in_one_request(api, keys, table):
    # GIVEN one account's five spam comments among a real customer's message
    spam = [seed_message(f"spam{i}", "community", author="bot-77", text=f"Earn $500 a day, DM me {i}") for i in range(5)]
    seed_message("real", "community", author="fan-1", text="Who else is going to the meetup?")
    # WHEN the manager lists the queue by that author
    status, page = call(api, "GET", "/queues/community/conversations?author=bot-77&limit=100", keys["manager"])
    assert status == 200 and sorted(c["id"] for c in page["conversations"]) == sorted(spam)
    # AND resolves them all with a note
    result = bulk(api, keys["manager"], "resolve", [c["id"] for c in page["conversations"]], note="spam wave")
    # THEN each is resolved, with the note, and the customer's message is untouched
    assert result["done"] == 5 and result["refused"] == 0
    assert all(r["outcome"] == "done" and r["status"] == "resolved" for r in result["results"])
    for message_id in spam:
        _, detail = call(api, "GET", f"/conversations/{message_id}", keys["manager"])
        assert detail["status"] == "resolved" and detail["resolution_note"] == "spam wave"
    _, rest = call(api, "GET", "/queues/community/conversations", keys["manager"])
    assert [c["id"] for c in rest["conversations"]] == ["facebook:real"]
    # AND the queue counts moved exactly as the messages did
    assert queue_counts(api, keys["manager"]) == counted_from_messages(table)


def test_each_conversation_gets_the_single_actions_answer_and_a_refusal_stops_nothing(api, keys, table):
    # GIVEN two conversations the agent holds, one another agent holds, an open one, one resolved,
    # one in a queue she does not work and an id that names nothing
    for name in ("mine1", "mine2", "theirs", "open", "done"):
        seed_message(name, "customer_service")
    seed_message("elsewhere", "stance")
    assert call(api, "POST", "/conversations/facebook:mine1/claim", keys["agent_cs"], {})[0] == 200
    assert call(api, "POST", "/conversations/facebook:mine2/claim", keys["agent_cs"], {})[0] == 200
    assert call(api, "POST", "/conversations/facebook:theirs/claim", keys["agent_both"], {})[0] == 200
    assert call(api, "POST", "/conversations/facebook:done/resolve", keys["manager"], {})[0] == 200
    ids = ["facebook:mine1", "facebook:theirs", "facebook:open", "facebook:done", "facebook:elsewhere",
           "facebook:nothing", "facebook:mine2", "facebook:mine1"]
    # WHEN she resolves them all at once
    result = bulk(api, keys["agent_cs"], "resolve", ids)
    # THEN hers are resolved; every other one says why, as the single action would, in the order sent, each once
    outcomes = {r["id"]: r["outcome"] for r in result["results"]}
    assert [r["id"] for r in result["results"]] == ids[:-1]
    assert outcomes == {"facebook:mine1": "done", "facebook:mine2": "done", "facebook:theirs": "not_claim_holder",
                        "facebook:open": "wrong_status", "facebook:done": "wrong_status",
                        "facebook:elsewhere": "unknown_conversation", "facebook:nothing": "unknown_conversation"}
    assert (result["done"], result["refused"]) == (2, 5)
    assert all(r.get("message") for r in result["results"] if r["outcome"] != "done")
    status, single = call(api, "POST", "/conversations/facebook:open/resolve", keys["agent_cs"], {})
    assert status == 409 and single["error"]["code"] == outcomes["facebook:open"]  # what the single action answers
    _, theirs = call(api, "GET", "/conversations/facebook:theirs", keys["manager"])
    assert theirs["status"] == "claimed" and theirs["claimed_by"].startswith("agent:Bo")
    assert queue_counts(api, keys["manager"]) == counted_from_messages(table)


def test_a_bulk_reroute_moves_each_with_its_correction(api, keys):
    ids = [seed_message(f"move{i}", "community") for i in range(3)]
    result = bulk(api, keys["manager"], "reroute", ids, queue="stance", reason="boycott thread, not fan talk")
    assert result["done"] == 3
    for message_id in ids:
        _, detail = call(api, "GET", f"/conversations/{message_id}", keys["manager"])
        assert detail["queue"] == "stance" and detail["corrections"][-1]["reason"] == "boycott thread, not fan talk"


def test_storage_failing_midway_stops_the_run_and_says_which_were_not_attempted(api, keys, monkeypatch):
    from chalicelib.errors import StorageUnavailable
    from chalicelib.store import queue

    ids = [seed_message(f"sf{i}", "community") for i in range(4)]
    real_resolve, calls = queue.resolve, []

    def failing_second(*args, **kwargs):
        calls.append(args[0].id)
        if len(calls) == 2:
            raise StorageUnavailable("storage is unavailable")
        return real_resolve(*args, **kwargs)

    monkeypatch.setattr(queue, "resolve", failing_second)
    result = bulk(api, keys["manager"], "resolve", ids)
    assert [r["outcome"] for r in result["results"]] == ["done", "storage_unavailable", "not_attempted",
                                                         "not_attempted"]
    assert calls == ids[:2]


@pytest.mark.parametrize("body", [
    {"action": "reroute", "conversation_ids": ["facebook:x1"], "queue": "stance"},
    {"action": "reroute", "conversation_ids": ["facebook:x1"], "reason": "why"},
    {"action": "release", "conversation_ids": ["facebook:x1"], "note": "n"},
    {"action": "resolve", "conversation_ids": ["facebook:x1"], "queue": "stance"},
    {"action": "resolve", "conversation_ids": []},
    {"action": "resolve", "conversation_ids": [f"facebook:x{i}" for i in range(51)]},
    {"action": "resolve", "conversation_ids": ["no-colon"]},
    {"action": "delete", "conversation_ids": ["facebook:x1"]},
])
def test_an_invalid_bulk_request_is_a_400_and_changes_nothing(api, keys, table, body):
    seed_message("x1", "stance")
    before = snapshot(table)
    status, answer = call(api, "POST", "/conversations/bulk", keys["manager"], body)
    assert status == 400, answer
    assert snapshot(table) == before


def test_a_manager_tags_a_crisis_thread_in_one_request_and_each_gets_its_own_outcome(api, keys):
    # GIVEN three conversations about one incident, one of them resolved, and one in a queue the agent does not work
    incident = [seed_message(f"outage{i}", "customer_service", text=f"App down again {i}") for i in range(3)]
    assert call(api, "POST", f"/conversations/{incident[2]}/resolve", keys["manager"], {})[0] == 200
    elsewhere = seed_message("stance1", "stance", text="Where do you stand on this?")
    # WHEN an agent of customer_service tags them all, with one tag to add and one to take off
    result = bulk(api, keys["agent_cs"], "tag", [*incident, elsewhere], add=["outage-dec"], remove=["todo"])
    # THEN each of hers is tagged, whatever its state; the other queue's answers as the single action would
    outcomes = {r["id"]: (r["outcome"], r.get("status")) for r in result["results"]}
    assert outcomes == {incident[0]: ("done", "open"), incident[1]: ("done", "open"),
                        incident[2]: ("done", "resolved"), elsewhere: ("unknown_conversation", None)}
    status, page = call(api, "GET", "/queues/customer_service/conversations?tag=outage-dec", keys["agent_cs"])
    assert sorted(c["id"] for c in page["conversations"]) == sorted(incident[:2])  # the open ones
    _, resolved = call(api, "GET", "/queues/customer_service/conversations?tag=outage-dec&status=resolved",
                       keys["agent_cs"])
    assert [c["id"] for c in resolved["conversations"]] == [incident[2]]


# hide: a spam wave hidden on the platform --------------------------------------------------------------------

def hidden_on_facebook(fake_platforms) -> list[str]:
    return [r.path.split("?")[0].rsplit("/", 1)[-1] for r in fake_platforms.requests
            if r.method == "POST" and r.body == {"is_hidden": True} and r.accepted]


def test_an_agent_hides_a_spam_wave_on_facebook_in_one_request(api, keys, table, fake_platforms):
    # GIVEN one account's spam comments in community, one already hidden, a conversation in a queue she does not
    # work and the customer's own comment
    spam = [seed_message(f"1048_{i}", "community", author="bot-77", text=f"Earn $500 a day {i}") for i in range(4)]
    elsewhere = seed_message("1048_9", "stance", author="bot-77")
    real = seed_message("1048_real", "community", author="fan-1")
    assert call(api, "POST", f"/messages/{spam[0]}/moderation", keys["agent_both"], {"action": "hide"})[0] == 200
    # WHEN the agent hides them all, with the one she cannot see
    result = bulk(api, keys["agent_both"], "hide", [*spam, elsewhere], reason="spam wave")
    # THEN each of hers is hidden on Facebook once (the hidden one is done, calling nothing), the other is unknown
    outcomes = {r["id"]: (r["outcome"], r.get("status")) for r in result["results"]}
    assert outcomes == {**{s: ("done", "removed") for s in spam}, elsewhere: ("unknown_conversation", None)}
    assert sorted(hidden_on_facebook(fake_platforms)) == sorted(s.split(":")[1] for s in spam)
    # AND only the customer's comment is left in the queue, counted as the messages are
    _, rest = call(api, "GET", "/queues/community/conversations", keys["agent_both"])
    assert [c["id"] for c in rest["conversations"]] == [real]
    assert queue_counts(api, keys["manager"]) == counted_from_messages(table)
    _, read = call(api, "GET", f"/messages/{spam[1]}", keys["agent_both"])
    assert read["moderation"]["reason"] == "spam wave"


def test_the_platform_asking_to_slow_down_stops_a_bulk_hide(api, keys, fake_platforms):
    spam = [seed_message(f"1049_{i}", "community", author="bot-78") for i in range(3)]
    fake_platforms.fail_next("graph_rate_limit")
    result = bulk(api, keys["manager"], "hide", spam)
    assert [r["outcome"] for r in result["results"]] == ["platform_rate_limited", "not_attempted", "not_attempted"]
    assert hidden_on_facebook(fake_platforms) == []


def test_a_bulk_hide_starts_no_platform_call_once_its_time_is_spent(api, keys, fake_platforms, monkeypatch):
    # GIVEN a clock that has spent the request's time for platform calls after the first conversation
    from chalicelib import bulk as bulk_actions

    spam = [seed_message(f"1050_{i}", "community", author="bot-79") for i in range(3)]
    ticks = iter([0.0, 0.0, 60.0, 60.0])
    monkeypatch.setattr(bulk_actions, "clock", lambda: next(ticks))
    # WHEN they are hidden in bulk
    result = bulk(api, keys["manager"], "hide", spam)
    # THEN the first is hidden and the others are left to send again, uncalled
    assert [r["outcome"] for r in result["results"]] == ["done", "not_attempted", "not_attempted"]
    assert hidden_on_facebook(fake_platforms) == [spam[0].split(":")[1]]


def test_a_bulk_hide_hides_at_least_one_whatever_the_platform_timeout(api, keys, fake_platforms, monkeypatch):
    # GIVEN a stage whose platform calls may take longer than the bulk's time for them (SEND_TIMEOUT_SECONDS 20)
    from chalicelib.config import get_settings

    spam = [seed_message(f"1052_{i}", "community", author="bot-80") for i in range(2)]
    monkeypatch.setenv("SEND_TIMEOUT_SECONDS", "20")
    get_settings.cache_clear()
    # WHEN they are hidden in bulk, twice (the second sends again what the first left)
    first = bulk(api, keys["manager"], "hide", spam)
    second = bulk(api, keys["manager"], "hide", [r["id"] for r in first["results"] if r["outcome"] == "not_attempted"])
    # THEN each request hides one (as the single action would), so sending again gets them all done; a request that
    # attempts none would answer not_attempted forever
    assert [r["outcome"] for r in first["results"]] == ["done", "not_attempted"]
    assert [r["outcome"] for r in second["results"]] == ["done"]
    assert sorted(hidden_on_facebook(fake_platforms)) == sorted(s.split(":")[1] for s in spam)


def test_a_mistaken_bulk_hide_is_undone_in_one_request(api, keys, table, fake_platforms):
    # GIVEN three conversations hidden in bulk by mistake
    wrong = [seed_message(f"1051_{i}", "community", author=f"fan-{i}") for i in range(3)]
    assert bulk(api, keys["agent_both"], "hide", wrong)["done"] == 3
    # WHEN they are shown again in bulk
    result = bulk(api, keys["agent_both"], "unhide", wrong)
    # THEN each is shown on Facebook again and open in its queue, counted as the messages are
    assert [(r["outcome"], r["status"]) for r in result["results"]] == [("done", "open")] * 3
    shown = [r.path.split("?")[0].rsplit("/", 1)[-1] for r in fake_platforms.requests
             if r.body == {"is_hidden": False} and r.accepted]
    assert sorted(shown) == sorted(w.split(":")[1] for w in wrong)
    _, page = call(api, "GET", "/queues/community/conversations", keys["agent_both"])
    assert sorted(c["id"] for c in page["conversations"]) == sorted(wrong)
    assert queue_counts(api, keys["manager"]) == counted_from_messages(table)


def test_a_bulk_reopen_opens_each_resolved_conversation_and_says_why_for_the_rest(api, keys, table):
    done = [seed_message(f"reopen{i}", "customer_service") for i in range(2)]
    still_open = seed_message("reopen-open", "customer_service")
    assert bulk(api, keys["manager"], "resolve", done)["done"] == 2
    result = bulk(api, keys["agent_cs"], "reopen", [*done, still_open], reason="resolved by mistake")
    assert [(r["id"], r["outcome"]) for r in result["results"]] == [
        (done[0], "done"), (done[1], "done"), (still_open, "wrong_status")]
    _, detail = call(api, "GET", f"/conversations/{done[0]}", keys["agent_cs"])
    assert detail["status"] == "open" and detail["history"][-1]["details"] == {"reason": "resolved by mistake"}
    assert queue_counts(api, keys["manager"]) == counted_from_messages(table)


# bulk reply: one statement to many conversations (an outage, a crisis) ------------------------------------------

def dm(api, mid: str, sender: str, text: str = "is the app down?? I can't log in", name: str | None = None) -> str:
    import json

    import payloads
    from support import dumps, post_webhook

    body = payloads.messenger_dm(mid, text, sender=sender)
    response = post_webhook(api, "meta", dumps(body))
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["stored"] == 1
    return f"messenger:{mid}"


def test_a_manager_answers_an_outage_wave_with_one_statement_and_resolves_it(api, keys, table, fake_platforms):
    # GIVEN three customers' DMs about an outage
    ids = [dm(api, f"m.outage{n}", f"61000000009{n}") for n in range(3)]
    statement = "Hi {{customer_name}}, we know about the login problem and are fixing it. Sorry!"
    # WHEN a manager replies to them all and resolves them
    result = bulk(api, keys["manager"], "reply", ids, text=statement, idempotency_key="outage-2026-12-06",
                  resolve=True)
    # THEN each customer got the statement (no name known: the token goes), each conversation is answered and resolved
    assert result["done"] == 3 and all(r["status"] == "resolved" for r in result["results"]), result
    sent = fake_platforms.sent("messenger")
    assert sorted(r.body["recipient"]["id"] for r in sent) == [f"61000000009{n}" for n in range(3)]
    assert {r.body["message"]["text"] for r in sent} == {"Hi, we know about the login problem and are fixing it. Sorry!"}
    for conversation_id in ids:
        _, detail = call(api, "GET", f"/conversations/{conversation_id}", keys["manager"])
        assert detail["status"] == "resolved" and detail["first_reply_at"]
        assert [r["id"] for r in detail["replies"]] == ["outage-2026-12-06"]
    assert queue_counts(api, keys["manager"]) == counted_from_messages(table)
    # WHEN the same request is sent again THEN nobody is answered twice
    again = bulk(api, keys["manager"], "reply", ids, text=statement, idempotency_key="outage-2026-12-06", resolve=True)
    assert again["done"] == 3 and len(fake_platforms.sent("messenger")) == 3


def test_an_agent_bulk_replies_only_to_what_they_hold_and_a_slow_down_stops_the_rest(api, keys, fake_platforms):
    ids = [dm(api, f"m.wave{n}", f"61000000008{n}") for n in range(4)]
    queue = call(api, "GET", f"/conversations/{ids[0]}", keys["manager"])[1]["queue"]
    agent = keys["agent_cs"] if queue == "customer_service" else keys["agent_stance"] if queue == "stance" else \
        keys["agent_both"]
    for conversation_id in ids[:3]:
        assert call(api, "POST", f"/conversations/{conversation_id}/claim", agent, {})[0] == 200
    # WHEN the platform asks to slow down at the second reply
    fake_platforms.fail_next("graph_rate_limit")
    first = bulk(api, agent, "reply", ids[1:3], text="We are on it.", idempotency_key="wave-reply-1")
    # THEN that one is refused and the rest are not attempted
    assert [r["outcome"] for r in first["results"]] == ["platform_rate_limited", "not_attempted"]
    # WHEN the agent sends it again, with the one they do not hold
    second = bulk(api, agent, "reply", ids, text="We are on it.", idempotency_key="wave-reply-1")
    outcomes = [r["outcome"] for r in second["results"]]
    # THEN the ones they hold are answered (once each), the other is refused as it would be alone
    assert outcomes[:3] == ["done", "done", "done"] and outcomes[3] == "wrong_status", second  # open: not hers
    assert len(fake_platforms.sent("messenger")) == 3
    assert all(r["status"] == "claimed" for r in second["results"][:3])  # no resolve asked: they stay with her


def test_a_bulk_reply_answers_direct_messages_only_never_public_comments(api, keys, fake_platforms):
    import json

    import payloads
    from support import dumps, post_webhook

    # GIVEN a customer's DM and two public comments about the same outage
    direct = dm(api, "m.public0", "6100000000700")
    comments = []
    for n in range(2):
        comment_id = f"104857600000001_900001_7770{n}"
        response = post_webhook(api, "meta", dumps(payloads.page_comment(comment_id, "is the app down?? I can't log in")))
        assert response.status_code == 200 and json.loads(response.body)["stored"] == 1
        comments.append(f"facebook:{comment_id}")
    # WHEN a manager sends one statement to all three
    result = bulk(api, keys["manager"], "reply", [comments[0], direct, comments[1]], text="We are fixing the login problem.",
                  idempotency_key="outage-public-1", resolve=True)
    # THEN only the DM is answered (and resolved); each public one is refused in words and left as it was
    assert [(r["id"], r["outcome"]) for r in result["results"]] == [
        (comments[0], "public_conversation"), (direct, "done"), (comments[1], "public_conversation")]
    assert "direct messages only" in result["results"][0]["message"]
    assert fake_platforms.sent("facebook") == [] and len(fake_platforms.sent("messenger")) == 1
    for conversation_id in comments:
        _, detail = call(api, "GET", f"/conversations/{conversation_id}", keys["manager"])
        assert detail["status"] == "open" and detail["replies"] == []
