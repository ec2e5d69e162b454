"""`make run`'s second opinion: the embedded table's stream drives the same rescore the deployed function runs."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

from support import seed_message

NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
SERVICE = "I was charged twice for my order and it never arrived. Refund me please, order 7731"


def test_a_stored_message_is_rescored_shortly_after(local_dynamodb, dynamodb_server):
    from chalicelib.store import messages
    from local.second_opinion import LocalSecondOpinion

    # GIVEN the local stand-in reading the table's stream
    runner = LocalSecondOpinion(dynamodb_server.endpoint_url, os.environ["TABLE_NAME"]).start()
    try:
        # WHEN a message the webhook model put in the wrong queue is stored
        mid = seed_message("local1", "community", received_at=NOW, text=SERVICE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "first_opinion" not in messages.get_message(mid).triage:
            time.sleep(0.2)
        # THEN the second opinion has moved it, once
        stored = messages.get_message(mid)
        assert stored.triage["first_opinion"]["category"] == "community"
        assert stored.queue == "customer_service"
        time.sleep(2.5)  # its own change comes back on the stream: it must not trigger another
        assert [h["event"] for h in messages.get_message(mid).history].count("second_opinion") == 1
    finally:
        runner.stop()
