"""store.backfill: the operator's one-off migrations. The customer pointers of conversations opened before they were
written, put by a resumable Scan, so their customer's other conversations are listed; running it again changes
nothing."""

from __future__ import annotations

import json
import os

from datetime import timedelta

from test_customers import NOW, comment, dm, opened, others, pointers, save


def test_the_backfill_lists_conversations_opened_before_the_pointers_and_running_it_again_changes_nothing(table, capsys):
    from chalicelib import cli
    from chalicelib.store import backfill
    from support import snapshot

    # GIVEN a customer's three conversations (two comments and a DM, one with a later message) and an unknown
    # author's, all opened before the pointers were written (their pointers gone)
    ids = opened(2, author="old-fan")
    assert save(dm("d1", author="old-fan")) == "stored"
    assert save(dm("d2", author="old-fan", at=NOW + timedelta(minutes=5))) in ("stored", "joined")
    assert save(comment("anon", author="unknown")) == "stored"
    for pointer in pointers(table):
        table.delete_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": pointer["pk"]}, "sk": {"S": pointer["sk"]}})
    assert others(ids[0]) == ([], None)
    # WHEN the operator runs the backfill, a page at a time
    assert cli.main(["backfill", "customers", "--max-items", "1"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["next_key"]
    while first["next_key"]:
        assert cli.main(["backfill", "customers", "--start-key", first["next_key"]]) == 0
        first = json.loads(capsys.readouterr().out)
    # THEN the customer's other conversations are listed again (on the same platform: a Messenger id is another
    # customer): one pointer per conversation, none for the unknown author nor for the DM's later message
    listed, _ = others(ids[0])
    assert [c.id for c in listed] == [ids[1]]
    assert sorted(p["conversation"] for p in pointers(table)) == sorted([*ids, "messenger:d1"])
    # AND running it again from the start changes nothing
    before = snapshot(table)
    again = backfill.backfill_pointers()
    assert again.written == 3 and again.next_key is None and snapshot(table) == before


def test_a_start_key_it_did_not_print_is_refused(table, capsys):
    from chalicelib import cli

    assert cli.main(["backfill", "customers", "--start-key", "not-a-key"]) == 2
    assert "--start-key must be a next_key" in capsys.readouterr().err


def test_the_backfill_puts_messages_stored_before_the_author_index_in_it_so_an_erasure_finds_them(table):
    from datetime import datetime, timezone

    from chalicelib.store import backfill, erasure
    from chalicelib.store.messages import get_message
    from support import scan_items

    # GIVEN a customer's conversation with a later message, an unknown author's message, and another customer's
    # already erased message, all without author index keys (stored before GSI3 existed)
    assert save(dm("d1", author="old-fan")) == "stored"
    assert save(dm("d2", author="old-fan", at=NOW + timedelta(minutes=5))) in ("stored", "joined")
    assert save(comment("anon", author="unknown")) == "stored"
    assert save(comment("gone", author="left-us")) == "stored"
    erasure.erase_message("facebook:gone", datetime.now(timezone.utc), "admin:Ada", "customer_request")
    for item in scan_items(table):
        if "gsi3pk" in item:
            table.update_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}},
                              UpdateExpression="REMOVE gsi3pk, gsi3sk")
    # WHEN the operator runs the backfill
    backfill.backfill_pointers()
    # THEN exactly the customer's two messages are in the author index
    indexed = sorted(i["gsi3pk"] + " " + i["id"] for i in scan_items(table) if "gsi3pk" in i)
    assert indexed == ["BYAUTHOR#messenger#old-fan messenger:d1", "BYAUTHOR#messenger#old-fan messenger:d2"]
    # AND an erasure of that customer now finds both
    progress = erasure.erase_customer("messenger", "old-fan", datetime.now(timezone.utc), "admin:Ada", None,
                                      deadline=float("inf"))
    assert progress.done and progress.messages_erased == 2
    assert {get_message(i).text for i in ("messenger:d1", "messenger:d2")} == {""}
