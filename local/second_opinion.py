"""`make run`'s stand-in for the deployed second opinion (the table's stream -> PublishEvents -> the EventBridge
rule -> its SQS queue -> the SecondOpinion function): a thread that reads the embedded table's stream and
re-scores each new or edited message, as the function does, a second or so after it is stored."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

import boto3

from chalicelib.events import derive

POLL_SECONDS = 1.0
TRIGGERS = ("new", "edit")  # the rule's pattern: the second opinion's own verdict does not trigger it again
log = logging.getLogger("local.second_opinion")


class LocalSecondOpinion:
    def __init__(self, endpoint_url: str, table: str):
        self.db = boto3.client("dynamodb", endpoint_url=endpoint_url)
        self.streams = boto3.client("dynamodbstreams", endpoint_url=endpoint_url)
        self.arn = self.db.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-second-opinion", daemon=True)

    def start(self) -> "LocalSecondOpinion":
        from second_opinion.model import get_model

        get_model().classify("warm up")  # loads the encoder now: a missing engine fails at start, not per message
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self._iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard,
                                                         ShardIteratorType="LATEST")["ShardIterator"]
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        from second_opinion.handler import rescore

        while not self._stop.wait(POLL_SECONDS):
            try:
                page = self.streams.get_records(ShardIterator=self._iterator, Limit=1000)
            except Exception:  # a local convenience: keep serving the API whatever happens here
                log.exception("local second opinion cannot read the stream; it tries again")
                continue
            self._iterator = page["NextShardIterator"]
            for record in page["Records"]:
                try:
                    for event in derive.from_record(record):
                        if event.type == "message.triaged" and event.data.trigger in TRIGGERS:
                            rescore(event.message_id, datetime.now(timezone.utc))
                except Exception:  # one message keeps the webhook model's verdict; the others are still scored
                    log.exception("local second opinion failed on a record")


def start_for_local_run(endpoint_url: str, table: str) -> LocalSecondOpinion | None:
    """Started when the encoder is installed (requirements-dev.txt); None, with the reason printed, otherwise."""
    try:
        return LocalSecondOpinion(endpoint_url, table).start()
    except ImportError as exc:
        print(f"second opinion off: {exc} (pip install -r requirements-dev.txt)", flush=True)
        return None
