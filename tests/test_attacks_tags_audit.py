"""An outsider's and each role's attacks on the tags (POST /conversations/{id}/tags, ?tag=, bulk `tag`,
message.tagged) and on the answer-size bounds of b1734a9.

Tests marked FINDING fail on b1734a9 (they state what should happen); the others pass and guard what held.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import datetime, timezone

import pytest

from support import call, message_items, post_webhook, seed_message, snapshot
from test_attacks import LAMBDA_ANSWER_LIMIT, enveloped_size

import payloads


def retag(api, who, conversation: str, add=(), remove=()):
    return call(api, "POST", f"/conversations/{conversation}/tags", who, {"add": list(add), "remove": list(remove)})


def listed_ids(api, who, path: str) -> list[str]:
    status, page = call(api, "GET", path, who)
    assert status == 200, page
    return [c["id"] for c in page["conversations"]]


# --- tag spelling --------------------------------------------------------------------------------------------

def test_FINDING_a_tag_with_a_trailing_newline_is_refused_not_kept_as_another_tag(api, keys, table):
    # GIVEN a conversation tagged "vip"
    conversation = seed_message("nl-1", "customer_service")
    assert retag(api, keys["agent_cs"], conversation, add=["vip"])[0] == 200
    before = snapshot(table)
    # WHEN an agent adds "vip\n" (Python's `$` in ^[\w-]+$ also matches before a final newline, and the schema
    # validates with python-re)
    status, body = retag(api, keys["agent_cs"], conversation, add=["vip\n"])
    # THEN it is refused as not a tag (a newline is neither a letter, a digit, `_` nor `-`), and nothing is stored
    # (on b1734a9: 200, the conversation is tagged ["vip", "vip\n"]: two tags that look alike, one of which
    # ?tag=vip never finds, and a message.tagged event for it)
    assert status == 400, body
    assert snapshot(table) == before


def test_FINDING_the_listing_filters_refuse_a_trailing_newline_as_they_did_before_python_re(api, keys):
    # GIVEN FilterQuery switched to the python-re engine for the tag (so ListQuery's platform and cursor did too)
    seed_message("nl-2", "customer_service")
    status, page = call(api, "GET", "/queues/customer_service/conversations?limit=1", keys["manager"])
    assert status == 200
    # WHEN a listing is asked for platform "facebook\n" or tag "vip\n"
    for query in ("platform=facebook%0A", "tag=vip%0A"):
        status, body = call(api, "GET", f"/queues/customer_service/conversations?{query}", keys["manager"])
        # THEN it is a 400 (its pattern ends with `$`), as `platform` was with pydantic's default engine
        # (on b1734a9: 200 with an empty page)
        assert status == 400 and body["error"]["code"] == "invalid_query", (query, status, body)


def test_FINDING_the_documented_tag_pattern_means_the_same_to_the_contracts_validator_as_to_the_api(api, keys):
    import jsonschema_rs

    # GIVEN the served OpenAPI document: the tag's pattern in the body and in the query
    _, document = call(api, "GET", "/openapi.json")
    schemas = document["components"]["schemas"]
    body_tag = schemas["TagsChange"]["properties"]["add"]["items"]
    listing = document["paths"]["/queues/{name}/conversations"]["get"]["parameters"]
    query_tag = next(p for p in listing if p["name"] == "tag")["schema"]
    assert body_tag["pattern"] == query_tag["pattern"]
    # WHEN schemathesis (jsonschema_rs, ECMA-262 regular expressions: \w is [A-Za-z0-9_], $ is the end) checks
    # tags the API accepts (the document's own example "炎上", the tests' "返金_１２") and one it should not
    validator = jsonschema_rs.validator_for(body_tag)
    conversation = seed_message("doc-1", "customer_service")
    disagreements = []
    for tag in ("vip", "炎上", "返金_１２", "été", "vip\n", "cafe\u0301", "a,b", "a b", "zero\u200bwidth", "ｶﾀｶﾅ"):
        accepted_by_api = retag(api, keys["manager"], conversation, add=[tag])[0] == 200
        if accepted_by_api != validator.is_valid(tag):
            disagreements.append((tag, accepted_by_api))
    # THEN the document and the API agree on every one (on b1734a9 the API accepts all five, the document
    # accepts only "vip": schemathesis's negative phase sends "炎上" as schema-invalid and sees it accepted, and
    # a client validating with the document refuses the Japanese tags the API documents)
    assert disagreements == [], disagreements


@pytest.mark.parametrize("typed", [
    "cafe\u0301",  # café as macOS and many keyboards send it (NFD: e + combining acute)
    "हिंदी",  # Devanagari: its vowel signs are combining marks (Mc/Mn), not \w
    "தமிழ்",  # Tamil, the same
])
def test_FINDING_a_tag_in_a_script_with_combining_marks_is_accepted(api, keys, typed):
    # GIVEN the contract's promise: "letters, digits, `_` and `-` in any script"
    conversation = seed_message("mark-1", "customer_service")
    # WHEN an agent tags it with a word of a script written with combining marks
    status, body = retag(api, keys["agent_cs"], conversation, add=[typed])
    # THEN it is a tag (kept in one spelling, NFC) (on b1734a9: 400, \w matches no combining mark)
    assert status == 200, body
    import unicodedata
    assert body["tags"] == [unicodedata.normalize("NFC", typed)]


@pytest.mark.parametrize("tagged_as, searched_as", [
    ("ΟΔΟΣ", "οδος"),  # Greek: one character at a time Σ lowers to σ, never to the final ς
    ("ｶﾀｶﾅ", "カタカナ"),  # half-width and full-width katakana (NFKC makes them one)
    ("ＳＴＲＡＳＳＥ", "STRASSE"),  # control: folded today
])
def test_FINDING_a_tag_is_found_in_another_spelling_of_the_same_word(api, keys, tagged_as, searched_as):
    from urllib.parse import quote

    # GIVEN a conversation tagged in one spelling
    conversation = seed_message("spell-1", "community")
    assert retag(api, keys["manager"], conversation, add=[tagged_as])[0] == 200
    # WHEN the queue is filtered by another spelling of the same word
    found = listed_ids(api, keys["manager"], f"/queues/community/conversations?tag={quote(searched_as)}")
    # THEN the conversation is found (on b1734a9: "ΟΔΟΣ" is kept as "οδοσ", "ｶﾀｶﾅ" as typed: not found)
    assert found == [conversation]


def test_FINDING_a_full_width_underscore_or_hyphen_folds_like_the_full_width_letters_around_it(api, keys):
    # GIVEN an agent typing in a Japanese IME's full-width mode: "ｖｉｐ＿２０２６" and "ｖｉｐ－ｊｐ"
    conversation = seed_message("fw-1", "customer_service")
    # WHEN they tag with them
    status, body = retag(api, keys["agent_cs"], conversation, add=["ｖｉｐ＿２０２６", "ｖｉｐ－ｊｐ"])
    # THEN they are the tags "vip_2026" and "vip-jp" (the letters and digits fold; on b1734a9 the full-width
    # ＿ and － are not \w, so the whole request is a 400)
    assert status == 200, body
    assert body["tags"] == ["vip_2026", "vip-jp"]


# --- who may tag what ----------------------------------------------------------------------------------------

def test_FINDING_a_removed_conversation_cannot_be_tagged_alone_or_in_bulk(api, keys, table):
    # GIVEN a comment the customer deleted on the platform: the API answers 404 for it everywhere else
    post_webhook(api, "meta", json.dumps(payloads.page_comment("900777_1", "my card was charged twice")).encode())
    post_webhook(api, "meta", json.dumps(payloads.page_comment("900777_1", "", verb="remove")).encode())
    [stored] = message_items(table)
    conversation = stored["id"]
    assert stored["status"] == "removed"
    assert call(api, "GET", f"/conversations/{conversation}", keys["agent_cs"])[0] == 404
    before = snapshot(table)
    # WHEN an agent of its queue tags it, alone and in bulk
    single = retag(api, keys["agent_cs"], conversation, add=["ghost"])
    status, bulk = call(api, "POST", "/conversations/bulk", keys["agent_cs"],
                        {"action": "tag", "conversation_ids": [conversation], "add": ["ghost"]})
    # THEN both are refused as an unknown conversation (domain/tags.py: "in any state but removed"), and nothing
    # is stored (on b1734a9: 200 {"tags": ["ghost"]} and a bulk "done": a write, and a message.tagged event,
    # for a conversation the API says does not exist)
    assert single[0] == 404 and single[1]["error"]["code"] == "unknown_conversation", single
    assert status == 200 and bulk["results"][0]["outcome"] == "unknown_conversation", bulk
    assert snapshot(table) == before


def test_FINDING_tagging_cannot_push_the_workflow_out_of_a_conversations_history(api, keys):
    # GIVEN a conversation an agent claimed and a manager resolved
    conversation = seed_message("hist-1", "customer_service")
    assert call(api, "POST", f"/conversations/{conversation}/claim", keys["agent_cs"], {})[0] == 200
    assert call(api, "POST", f"/conversations/{conversation}/resolve", keys["manager"], {"note": "refunded"})[0] == 200
    # WHEN another agent of the queue (no claim needed, any state) toggles a tag 24 times
    for _ in range(24):
        assert retag(api, keys["agent_both"], conversation, add=["x"])[0] == 200
        assert retag(api, keys["agent_both"], conversation, remove=["x"])[0] == 200
    # THEN its history still says who claimed and who resolved it (on b1734a9 the history keeps the first two
    # entries and the latest 48: tag changes push "claimed" and "resolved" out, history_dropped counts them)
    _, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    events = [h["event"] for h in detail["history"]]
    assert "claimed" in events and "resolved" in events, (events[:4], detail.get("history_dropped"))


def test_an_agent_learns_nothing_of_another_queues_conversation_by_tagging_it_in_bulk(api, keys, table):
    # GIVEN a stance conversation, and an agent of customer_service only
    other = seed_message("scope-1", "stance")
    before = snapshot(table)
    # WHEN the agent tags it in bulk next to an id that does not exist, and filters their queue by a tag it has
    status, body = call(api, "POST", "/conversations/bulk", keys["agent_cs"],
                        {"action": "tag", "conversation_ids": [other, "facebook:nope"], "add": ["x"]})
    # THEN both answers are the same "unknown_conversation", and nothing is stored
    assert status == 200, body
    assert [(r["outcome"], r["message"].replace(r["id"], "ID")) for r in body["results"]] == \
        [("unknown_conversation", "no conversation 'ID'")] * 2
    assert snapshot(table) == before
    assert call(api, "GET", "/queues/stance/conversations?tag=x", keys["agent_cs"])[0] == 403


def test_a_tag_filter_combined_with_every_other_filter_narrows_and_never_fails(api, keys):
    # GIVEN two conversations from one author, one tagged
    tagged = seed_message("combo-1", "customer_service", text="refund please", author="c-9")
    seed_message("combo-2", "customer_service", text="refund please", author="c-9")
    assert retag(api, keys["manager"], tagged, add=["vip"])[0] == 200
    assert call(api, "POST", f"/conversations/{tagged}/claim", keys["manager"], {})[0] == 200
    every = "tag=VIP&q=Refund&author=c-9&platform=facebook&language=en&needs_review=false&answered=false"
    # WHEN a queue and the caller's own list are filtered by all of them at once
    # THEN only the tagged one is listed
    assert listed_ids(api, keys["manager"], f"/queues/customer_service/conversations?status=claimed&{every}") == [tagged]
    assert listed_ids(api, keys["manager"], f"/me/conversations?{every}") == [tagged]
    assert listed_ids(api, keys["manager"], f"/queues/customer_service/conversations?{every}") == []


def test_a_cursor_from_a_tag_filtered_page_reads_on_only_in_its_own_queue(api, keys):
    # GIVEN a page of a tag-filtered listing with a cursor
    for i in range(3):
        conversation = seed_message(f"cur-{i}", "customer_service")
        assert retag(api, keys["manager"], conversation, add=["vip"])[0] == 200
    status, page = call(api, "GET", "/queues/customer_service/conversations?tag=vip&limit=1", keys["manager"])
    assert status == 200 and page["next_cursor"]
    # WHEN the cursor is replayed on another queue, or tampered with to name another queue's index
    status, body = call(api, "GET", f"/queues/community/conversations?tag=vip&cursor={page['next_cursor']}",
                        keys["manager"])
    assert status == 400 and body["error"]["code"] == "invalid_cursor", body
    plain = json.loads(base64.urlsafe_b64decode(page["next_cursor"] + "=" * (-len(page["next_cursor"]) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**plain, "gsi1pk": "QUEUE#stance#open"}).encode()).decode().rstrip("=")
    status, body = call(api, "GET", f"/queues/customer_service/conversations?tag=vip&cursor={forged}", keys["agent_cs"])
    # THEN it is refused (a 400, never a 500 and never another queue's conversations)
    assert status == 400 and body["error"]["code"] == "invalid_cursor", body


# --- concurrency (moto server over HTTP, DynamoDB's conflicts modelled) --------------------------------------------

def test_concurrent_tag_adds_never_pass_the_limit_and_lose_no_answered_change(local_dynamodb, conflicts):
    from chalicelib.domain.errors import ConcurrentChange, TooManyTags
    from chalicelib.domain.tags import MAX_TAGS
    from chalicelib.store import messages, queue, tags
    from chalicelib.domain.workflow import Actor

    # GIVEN a conversation with 7 tags
    conversation = seed_message("race-1", "customer_service")
    tags.retag(messages.get_message(conversation), "key:setup", [f"t{i}" for i in range(7)], [],
               datetime.now(timezone.utc))
    outcomes: dict[str, str] = {}
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            messages.on_conversation(conversation, lambda queue_name: True, lambda head: tags.retag(
                head, f"key:agent-{n}", [f"new{n}"], [], datetime.now(timezone.utc)))  # as the route does
            outcomes[f"new{n}"] = "added"
        except TooManyTags:
            outcomes[f"new{n}"] = "too_many"
        except ConcurrentChange:
            outcomes[f"new{n}"] = "conflict"
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    def claim_and_release() -> None:  # transactions on the same head, so single writes meet them
        try:
            for _ in range(3):
                head = messages.get_message(conversation)
                if head.status == "open":
                    got = queue.claim("customer_service", Actor("key:claimer"), 1, 600, datetime.now(timezone.utc))
                    for claimed in got:
                        try:  # as the route does: a release that meets a tag is worked out again
                            messages.on_conversation(claimed.id, lambda queue_name: True, lambda head: queue.release(
                                head, Actor("key:claimer"), datetime.now(timezone.utc)))
                        except ConcurrentChange:
                            pass
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    # WHEN 8 agents each add a tag at once, while the conversation is claimed and released
    workers = [threading.Thread(target=add, args=(n,)) for n in range(8)] + [threading.Thread(target=claim_and_release)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    # THEN nothing failed unexpectedly, it keeps at most MAX_TAGS, and every add answered "added" is kept
    assert not errors, errors
    final = messages.get_message(conversation).tags
    assert len(final) <= MAX_TAGS, final
    assert all(tag in final for tag, outcome in outcomes.items() if outcome == "added"), (outcomes, final)
    assert sum(o == "added" for o in outcomes.values()) == len(final) - 7, (outcomes, final)
    # AND the history records each change once
    history = messages.get_message(conversation).history
    added = [t for h in history if h["event"] == "tagged" for t in h["details"]["added"]]
    assert sorted(added) == sorted([f"t{i}" for i in range(7)] + [t for t in final if t.startswith("new")])


# --- answer sizes ----------------------------------------------------------------------------------------------

HEAVY_REASON = "\U0001d54f" * 500  # the longest re-route reason, in the character JSON writes longest (12 bytes)


@pytest.fixture
def rerouted_queue(api, keys, table):
    """50 open community conversations, each with the 20 re-routes a message keeps (each reason as heavy as
    allowed). The first gets them through the API; moto copies the whole table on every transaction, so the
    other 49 get the same `corrections` written directly (the state the API gives them, 20 re-routes each)."""
    from chalicelib.store import dynamo
    from chalicelib.store.entities import MessageKeys

    ids = [seed_message(f"heavy-{i:02d}", "community") for i in range(50)]
    for n in range(20):
        status, body = call(api, "POST", f"/conversations/{ids[0]}/reroute", keys["manager"],
                            {"queue": ("stance", "community")[n % 2], "reason": HEAVY_REASON})
        assert status == 200, body
    [first] = [m for m in message_items(table) if m["id"] == ids[0]]
    assert first["status"] == "open" and first["queue"] == "community" and len(first["corrections"]) == 20
    for conversation in ids[1:]:
        table.update_item(TableName=os.environ["TABLE_NAME"], Key=dynamo.key(MessageKeys.pk(conversation), MessageKeys.SK),
                          UpdateExpression="SET corrections = :c",
                          ExpressionAttributeValues={":c": dynamo.to_value(first["corrections"])})
    return ids


def test_FINDING_claiming_conversations_with_many_reroutes_answers_within_lambdas_limit(api, keys, rerouted_queue):
    # WHEN a manager claims 50 of them
    response = api.http.post("/queues/community/claim", headers={**keys["manager"], "Content-Type": "application/json"},
                             body=json.dumps({"count": 50}))
    # THEN the answer fits what Lambda may return (on b1734a9: 7.2 MB; the claim bound counts only the texts,
    # not the corrections every listed message carries, 20 x 500 characters: Lambda fails the invocation and the
    # agent gets a 502 while the claims are stored, invisible to them)
    assert response.status_code == 200
    assert enveloped_size(response) < LAMBDA_ANSWER_LIMIT, enveloped_size(response)


def test_FINDING_the_callers_own_list_with_many_reroutes_answers_within_lambdas_limit(api, keys, rerouted_queue):
    # GIVEN the manager holds all 50 (claimed in small batches, each answer small enough)
    held = set()
    while len(held) < len(rerouted_queue):
        status, body = call(api, "POST", "/queues/community/claim", keys["manager"], {"count": 5})
        assert status == 200 and body["claimed"], body
        held |= {m["id"] for m in body["claimed"]}
    # WHEN they list what they hold
    response = api.http.get("/me/conversations", headers=keys["manager"])
    # THEN the answer fits what Lambda may return (on b1734a9: 7.2 MB, so GET /me/conversations fails for them
    # until they let go of some)
    assert response.status_code == 200
    assert enveloped_size(response) < LAMBDA_ANSWER_LIMIT, enveloped_size(response)


def test_FINDING_a_tag_filtered_listing_of_conversations_with_many_reroutes_answers_within_lambdas_limit(
        api, keys, rerouted_queue):
    # GIVEN the 50 heavy conversations tagged in bulk (so a filter gathers them over several 1 MB reads)
    status, body = call(api, "POST", "/conversations/bulk", keys["manager"],
                        {"action": "tag", "conversation_ids": rerouted_queue, "add": ["loop"]})
    assert status == 200 and body["done"] == 50, body
    # WHEN the queue is listed by that tag, 100 to a page
    response = api.http.get("/queues/community/conversations?tag=loop&limit=100", headers=keys["manager"])
    # THEN the page fits what Lambda may return (on b1734a9 the page bound counts only the texts: the filter reads
    # up to five 1 MB pages and answers every match with its 20 corrections)
    assert response.status_code == 200
    assert enveloped_size(response) < LAMBDA_ANSWER_LIMIT, enveloped_size(response)


def test_FINDING_the_key_list_answers_within_lambdas_limit_however_many_keys_were_ever_issued(api, keys, table):
    from chalicelib.store import dynamo
    from chalicelib.store.entities import ApiKeyKeys

    # GIVEN an admin issued one key with the longest name (100 characters, 12 bytes each as JSON)...
    name = "\U0001d54f" * 100
    status, issued = call(api, "POST", "/admin/keys", keys["admin"], {"role": "agent", "name": name,
                                                                      "queues": ["community"]})
    assert status == 201, issued
    [record] = [dynamo.from_item(i) for i in table.query(
        TableName=os.environ["TABLE_NAME"], KeyConditionExpression="pk = :pk AND sk = :sk",
        ExpressionAttributeValues={":pk": {"S": ApiKeyKeys.PK}, ":sk": {"S": issued["key_id"]}})["Items"]]
    # ...and 4,500 like it over the years (revoked keys are kept; nothing bounds their number). Written in
    # batches: the same records POST /admin/keys writes, without 4,500 requests
    for start in range(0, 4_500, 25):
        table.batch_write_item(RequestItems={os.environ["TABLE_NAME"]: [
            {"PutRequest": {"Item": dynamo.to_item({**record, "sk": f"{n:016x}", "key_id": f"{n:016x}"})}}
            for n in range(start, start + 25)]})
    # WHEN an admin lists the keys
    response = api.http.get("/admin/keys", headers=keys["admin"])
    # THEN the answer fits what Lambda may return (paged, or bounded): on b1734a9 every key is answered at once
    assert response.status_code == 200
    assert enveloped_size(response) < LAMBDA_ANSWER_LIMIT, enveloped_size(response)
