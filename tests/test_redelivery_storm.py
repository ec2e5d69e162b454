"""A redelivery storm over real HTTP: 2,000 deliveries of 200 messages, shuffled, from 8 threads.

The API runs in chalice's local server (as `make run` serves it) on 127.0.0.1 and a free port, over
the `local_dynamodb` table (moto's server over HTTP, one request at a time, as `make run` uses).
Every message is delivered 10 times by 4 routes (Meta page comments, X tweets, Telegram, generic);
exactly 200 must be stored, and every count (responses, items, the agents' listings, /stats) must
be exact.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest

import payloads
from chalicelib.models import QUEUES
from support import SIGNERS, dumps, scan_items

PER_ROUTE = 50
COPIES = 10
TOTAL, DELIVERIES = 4 * PER_ROUTE, 4 * PER_ROUTE * COPIES  # 200 messages, 2,000 deliveries
THREADS = 8
TEXTS = [
    "My order #{n} never arrived and nobody answers, I want a refund",
    "I was charged twice for order {n}, please fix this",
    "Boycott! You caved on diversity and equality, shame on your company ({n})",
    "Proud you kept your DEI commitments. Buying more. #{n}",
    "Love the new colours, see you all at the meetup {n}!",
    "Great photo, who else is going to the launch party {n}?",
]


def text(n: int) -> str:
    return TEXTS[n % len(TEXTS)].format(n=n)


def messages() -> list[tuple[str, str, bytes]]:
    """(route, expected message id, body) for 200 distinct messages, 50 per route, from 7 authors each."""
    out = []
    for n in range(PER_ROUTE):
        author = n % 7
        tweet_id = str(1600000000000000000 + n)
        generic_id = f"urn:li:comment:{n}"
        out += [
            ("meta", f"facebook:900001_{n}",
             dumps(payloads.page_comment(f"900001_{n}", text(n), author_id=f"555000{author}"))),
            ("x", f"x:{tweet_id}", dumps(payloads.x_tweet(tweet_id, "@brand " + text(n + 1),
                                                          user_id=f"900000{author}"))),
            ("telegram", None, dumps(payloads.telegram_message(n + 1, text(n + 2), chat_id=700000 + author))),
            ("generic", None, dumps(payloads.generic_message(generic_id, text(n + 3)))),
        ]
    return out


def deliver(base: str, route: str, body: bytes) -> tuple[int, dict | None]:
    # sign at send time: the generic route refuses timestamps older than five minutes
    request = urllib.request.Request(f"{base}/webhooks/{route}", data=body, method="POST",
                                     headers=SIGNERS[route](body))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def get(base: str, path: str, key: str) -> dict:
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


@pytest.fixture
def server(local_dynamodb):
    """chalice's local server for the app, on a free loopback port, over the `local_dynamodb` table."""
    from chalice.config import Config
    from chalice.local import create_local_server

    from app import app

    # Config.create: no .chalice/config.json, whose TABLE_NAME would point the app at another table
    local = create_local_server(app, Config.create(chalice_stage="dev", app_name="social-triage"), "127.0.0.1", 0)
    thread = threading.Thread(target=local.server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{local.server.server_address[1]}"
    local.shutdown()
    thread.join(timeout=10)
    local.server.server_close()


def test_two_thousand_shuffled_redeliveries_from_eight_threads_store_each_of_200_messages_once(server,
                                                                                                 local_dynamodb,
                                                                                                 conflicts):
    from chalicelib import auth

    distinct = messages()
    deliveries = [(route, body) for route, _, body in distinct for _ in range(COPIES)]
    random.Random(20261126).shuffle(deliveries)

    # WHEN 8 threads deliver all 2,000 over HTTP
    results: list[tuple[str, int, dict | None]] = []
    failures: list[BaseException] = []
    lock, cursor = threading.Lock(), iter(deliveries)

    def worker() -> None:
        try:
            while True:
                with lock:
                    nxt = next(cursor, None)
                if nxt is None:
                    return
                status, summary = deliver(server, *nxt)
                with lock:
                    results.append((nxt[0], status, summary))
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            failures.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    elapsed = time.perf_counter() - started
    print(f"\n{len(results)} deliveries in {elapsed:.1f} s ({len(results) / elapsed:.0f}/s) from {THREADS} threads; "
          f"transaction conflicts met (and retried): {conflicts.conflicts['TransactWriteItems']}")

    # THEN every delivery was acknowledged, and exactly one delivery of each message stored it
    assert not failures and not any(t.is_alive() for t in threads)
    assert conflicts.conflicts["TransactWriteItems"] > 0  # the storm really met DynamoDB's conflicts
    assert len(results) == len(deliveries)
    assert Counter(status for _, status, _ in results) == {200: DELIVERIES}
    assert sum(s["received"] for _, _, s in results) == DELIVERIES
    assert sum(s["stored"] for _, _, s in results) == TOTAL
    assert sum(s["duplicate"] for _, _, s in results) == DELIVERIES - TOTAL
    stored_per_route = Counter()
    for route, _, s in results:
        stored_per_route[route] += s["stored"]
    assert stored_per_route == {route: PER_ROUTE for route in SIGNERS}

    # AND the table holds exactly 200 messages, each once (a scan of the message items)
    items = scan_items(local_dynamodb)
    stored = {i["id"]: i for i in items if i["sk"] == "MSG"}
    assert len(stored) == TOTAL
    assert {i for _, i, _ in distinct if i} <= set(stored)
    assert Counter(m["platform"] for m in stored.values()) == {"facebook": PER_ROUTE, "x": PER_ROUTE,
                                                               "telegram": PER_ROUTE, "linkedin": PER_ROUTE}
    # the 50 Telegram messages are DMs from 7 chats: 7 conversations; every other message is one of its own
    heads = {i: m for i, m in stored.items() if m["status"] != "in_conversation"}
    assert Counter(m["platform"] for m in heads.values()) == {"facebook": PER_ROUTE, "x": PER_ROUTE,
                                                              "telegram": 7, "linkedin": PER_ROUTE}
    assert all(m["status"] == "open" for m in heads.values())
    assert sum(m["message_count"] for m in heads.values()) == TOTAL
    assert all(m["rev"] == 1 for m in stored.values() if m["platform"] != "telegram")
    per_queue = Counter(m["triage"]["category"] for m in stored.values())  # volume: each message in its category
    assert len(per_queue) >= 2  # the mix really spread over the queues
    # every counter moved once per message
    assert sum(i.get("messages", 0) for i in items if i["pk"].startswith("STATS#")) == TOTAL
    assert sum(i.get("classified", 0) for i in items if i["pk"].startswith("ACCURACY#")) == TOTAL
    assert sum(i.get("messages", 0) for i in items if i["pk"].startswith("AUTHOR#")) == TOTAL
    assert sum(i.get("open", 0) for i in items if i["pk"].startswith("QCOUNT#")) == len(heads)

    # AND the agents' API lists the same conversations, once each, in their queues
    manager = auth.create_key("manager", "Storm manager").key
    listed: dict[str, str] = {}
    for queue in QUEUES:
        cursor_param = ""
        while True:
            page = get(server, f"/queues/{queue}/messages?limit=100{cursor_param}", manager)
            for m in page["messages"]:
                assert m["id"] not in listed
                listed[m["id"]] = queue
            if not page["next_cursor"]:
                break
            cursor_param = f"&cursor={page['next_cursor']}"
    assert listed == {i: m["queue"] for i, m in heads.items()}

    # AND /stats counts exactly: 200 in all, per queue and per platform as stored
    stats = get(server, "/stats", manager)
    assert sum(b["total"] for b in stats["buckets"]) == TOTAL
    stats_queues, stats_platforms = Counter(), Counter()
    for bucket in stats["buckets"]:
        stats_queues.update(bucket["messages"])
        stats_platforms.update(bucket["platforms"])
    assert +stats_queues == per_queue
    assert +stats_platforms == Counter(m["platform"] for m in stored.values())
    assert sum(v["classified"] for v in stats["model_accuracy"]["by_version"]) == TOTAL
    overview = get(server, "/queues", manager)["queues"]
    open_conversations = Counter(m["queue"] for m in heads.values())
    assert {q["queue"]: q["open"] for q in overview} == {q: open_conversations.get(q, 0) for q in QUEUES}
