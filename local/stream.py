"""`make run`'s stand-in for the deployed event wiring (the table's stream -> PublishEvents -> the bus's rules -> their
SQS queues -> the functions): a thread that reads the embedded table's stream and hands each event to what its rule
would: the second opinion re-scores a new or edited message (when its encoder is installed), a routing rule's reply
and the away message answer a direct message (the away message while the brand is closed) a second or so after it
is stored, and the satisfaction survey goes to a direct-message conversation a person resolved (its follow-up
question after a low rating). The scheduled sweep (snoozes, auto-resolve, SLA breaches) does not run here."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Callable

import boto3

from chalicelib.events import derive

POLL_SECONDS = 1.0
log = logging.getLogger("local.stream")
Consumer = Callable[[object, datetime], None]  # (an outbound event, now)


def second_opinion(event, now: datetime) -> None:
    """The second opinion's rule: new and edited messages (its own verdict does not trigger it again), not held back."""
    from second_opinion.handler import rescore

    if event.type == "message.triaged" and event.data.trigger in ("new", "edit") and not event.data.held_back:
        rescore(event.message_id, now)


def new_direct_message(event, now: datetime) -> None:
    """The away message's rule (infra.template.away_pattern): customers' new direct messages, not held back, get a
    routing rule's reply and the away message where due (chalicelib/automatic_replies.py's order)."""
    from chalicelib import away, routing_rules
    from chalicelib.domain.automatic_messages import is_direct_message

    if (event.type == "message.triaged" and event.data.trigger == "new" and not event.data.held_back
            and is_direct_message(event.platform, event.channel)):
        routing_rules.answer(event.message_id, now)
        away.answer(event.message_id, now)


def satisfaction_survey(event, now: datetime) -> None:
    """The satisfaction survey's rule (infra.template.survey_pattern): resolved direct-message conversations, and
    rated ones for the follow-up question."""
    from chalicelib import surveys
    from chalicelib.domain.automatic_messages import is_direct_message

    if event.type not in ("message.resolved", "message.rated") or not is_direct_message(event.platform, event.channel):
        return
    if event.type == "message.resolved":
        surveys.offer(event.message_id, now)
    else:  # its follow-up question, after a low rating
        surveys.follow_up(event.message_id, now)


class LocalStream:
    def __init__(self, endpoint_url: str, table: str, consumers: list[Consumer]):
        self.db = boto3.client("dynamodb", endpoint_url=endpoint_url)
        self.streams = boto3.client("dynamodbstreams", endpoint_url=endpoint_url)
        self.arn = self.db.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.consumers = consumers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-stream", daemon=True)

    def start(self) -> "LocalStream":
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self._iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard,
                                                         ShardIteratorType="LATEST")["ShardIterator"]
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                page = self.streams.get_records(ShardIterator=self._iterator, Limit=1000)
            except Exception:  # a local convenience: keep serving the API whatever happens here
                log.exception("the local stream consumers cannot read the stream; they try again")
                continue
            self._iterator = page["NextShardIterator"]
            for record in page["Records"]:
                try:
                    events = derive.from_record(record)
                except Exception:
                    log.exception("a stream record the local consumers cannot read")
                    continue
                for event in events:
                    for consume in self.consumers:
                        try:
                            consume(event, datetime.now(timezone.utc))
                        except Exception:  # one message left as it is; the others still go through
                            log.exception("local %s failed on %s", consume.__name__, event.message_id)


def start_for_local_run(endpoint_url: str, table: str) -> tuple[LocalStream, bool]:
    """The stream's consumers, and whether the second opinion is among them: it is when its encoder is installed
    (requirements-dev.txt); otherwise the reason is printed."""
    consumers: list[Consumer] = [new_direct_message, satisfaction_survey]
    try:
        from second_opinion.model import get_model

        get_model().classify("warm up")  # loads the encoder now: a missing engine fails at start, not per message
        consumers.insert(0, second_opinion)
    except ImportError as exc:
        print(f"second opinion off: {exc} (pip install -r requirements-dev.txt)", flush=True)
    return LocalStream(endpoint_url, table, consumers).start(), second_opinion in consumers
