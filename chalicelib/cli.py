"""Operator commands against the configured table (TABLE_NAME, DYNAMODB_ENDPOINT_URL or real AWS).

    python -m chalicelib.cli keys create --role agent --queues stance --name "Aiko" [--expires-in-days 90]
    python -m chalicelib.cli keys list
    python -m chalicelib.cli keys revoke KEY_ID
    python -m chalicelib.cli corrections export --out corrections.jsonl   # for training.train --extra
    python -m chalicelib.cli events redrive [--max-messages N]   # the events dead-letter queue back onto the bus
    python -m chalicelib.cli backfill customers [--max-items N] [--start-key K]   # once, after upgrading
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from typing import TextIO

from . import auth
from .domain.errors import DomainError
from .errors import ApiError
from .models import QUEUES
from .store import queue


def export_corrections(out: TextIO) -> int:
    """One training row per re-routed message, labelled with the queue agents settled on (none for an erased one)."""
    latest: dict[str, dict] = {}
    for correction in queue.corrections():
        latest[correction["message_id"]] = correction  # oldest first, so the last one wins
    latest = {message_id: row for message_id, row in latest.items() if row.get("text")}
    for row in latest.values():
        record = {"text": row["text"], "label": row["to"], "lang": row.get("language") or ""}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(latest)


def redrive_events(queue_url: str | None, max_messages: int | None) -> int:
    """The dead-letter queue onto the bus; prints what it did. Idempotent: consumers drop repeated event_ids."""
    from .config import get_settings
    from .events import publisher, redrive

    settings = get_settings()
    queue_url = queue_url or settings.events_dead_letter_queue_url
    if not queue_url:
        print("error: no queue: pass --queue-url or set EVENTS_DEAD_LETTER_QUEUE_URL", file=sys.stderr)
        return 2
    # failures stay in the queue they came from (not dead-lettered again): the next run takes them
    bus = publisher.Publisher(settings.event_bus_name, None, metrics=False)
    report = redrive.redrive(publisher.client("sqs"), queue_url, bus, publisher.client("dynamodbstreams"),
                             include_text=settings.events_include_text, max_messages=max_messages)
    print(json.dumps(report.summary()))
    for problem in report.unknown:
        print(f"kept (unknown content): {problem}", file=sys.stderr)
    return 0 if not report.kept else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    groups = parser.add_subparsers(dest="group", required=True)
    keys = groups.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="issue a key (printed once)")
    create.add_argument("--role", required=True, choices=auth.ROLES)
    create.add_argument("--name", required=True)
    create.add_argument("--queues", default="", help=f"comma-separated, for agents: {','.join(QUEUES)}")
    create.add_argument("--expires-in-days", type=int)
    keys.add_parser("list", help="list keys (never their secrets)")
    revoke = keys.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id")
    corrections = groups.add_parser("corrections", help="agents' re-routes").add_subparsers(dest="action", required=True)
    export = corrections.add_parser("export", help="re-routed messages as training JSONL")
    export.add_argument("--out", default="-", help="file to write (default: standard output)")
    events = groups.add_parser("events", help="outbound events").add_subparsers(dest="action", required=True)
    redrive = events.add_parser("redrive", help="put the dead-letter queue's events back on the bus (EVENT_BUS_NAME)")
    redrive.add_argument("--queue-url", help="default: EVENTS_DEAD_LETTER_QUEUE_URL")
    redrive.add_argument("--max-messages", type=int, help="stop after this many messages")
    backfill = groups.add_parser("backfill", help="one-off migrations").add_subparsers(dest="action", required=True)
    pointers = backfill.add_parser("customers", help="the customer pointers of conversations opened before they were "
                                   "written (so GET /conversations/{id}/customer lists them); safe to run again")
    pointers.add_argument("--max-items", type=int, help="stop after about this many items read; go on with --start-key")
    pointers.add_argument("--start-key", help="the next_key a stopped run printed")
    args = parser.parse_args(argv)

    try:
        if args.group == "keys" and args.action == "create":
            expires = datetime.now(timezone.utc) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
            queues = [q.strip() for q in args.queues.split(",") if q.strip()]
            issued = auth.create_key(args.role, args.name, queues, expires)
            print(json.dumps({**issued.record, "key": issued.key}, indent=2))
            print("Store this key now: it is not shown again.", file=sys.stderr)
        elif args.group == "keys" and args.action == "list":
            print(json.dumps(auth.list_keys(), indent=2))
        elif args.group == "keys" and args.action == "revoke":
            auth.revoke(args.key_id)
            print(f"revoked {args.key_id}")
        elif args.group == "corrections":
            if args.out == "-":
                count = export_corrections(sys.stdout)
            else:
                with open(args.out, "w", encoding="utf-8") as fh:
                    count = export_corrections(fh)
            print(f"exported {count} corrected messages", file=sys.stderr)
        elif args.group == "events":
            return redrive_events(args.queue_url, args.max_messages)
        elif args.group == "backfill":
            from .store import backfill

            done = backfill.backfill_pointers(args.start_key, args.max_items)
            print(json.dumps({"scanned": done.scanned, "written": done.written, "next_key": done.next_key}))
    except (ApiError, DomainError) as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
