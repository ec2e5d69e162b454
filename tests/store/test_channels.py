"""Channel records: webhook times at most once a minute, sends and their results, token errors, the listing."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from chalicelib.errors import StorageUnavailable
from chalicelib.store import channels, dynamo
from chalicelib.store.entities import StoredChannel, iso

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def stored(table, platform="facebook", account="1234") -> dict | None:
    response = table.get_item(TableName=os.environ["TABLE_NAME"], ConsistentRead=True,
                              Key=dynamo.key("CHANNEL", f"{platform}#{account}"))
    return dynamo.from_item(response["Item"]) if "Item" in response else None


@pytest.fixture
def calls(table):
    """The app client's UpdateItem and Query calls, as (operation, params)."""
    seen: list[tuple[str, dict]] = []

    def record(model, params, **_):
        seen.append((model.name, params))

    dynamo.client().meta.events.register("before-parameter-build.dynamodb.UpdateItem", record)
    dynamo.client().meta.events.register("before-parameter-build.dynamodb.Query", record)
    return seen


def another_container():
    """What a second warm Lambda knows: nothing of what this one wrote."""
    channels._webhooks_written.clear()


def refused(code="ProvisionedThroughputExceededException"):
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "UpdateItem")


# webhooks ------------------------------------------------------------------------------------------

def test_the_first_webhook_creates_the_channel_with_its_time(table):
    # WHEN a channel's first webhook is recorded
    assert channels.record_webhook("facebook", "1234", T0) is True
    # THEN its item holds the time, the channel's identity and nothing of sends
    assert stored(table) == {"pk": "CHANNEL", "sk": "facebook#1234", "type": "channel", "platform": "facebook",
                             "account": "1234", "last_webhook_at": iso(T0)}
    assert channels.list_channels() == [StoredChannel("facebook", "1234", last_webhook_at=iso(T0))]


def test_a_burst_within_a_minute_writes_once_and_calls_dynamodb_once_per_container(table, calls):
    # GIVEN a webhook recorded at T0
    channels.record_webhook("facebook", "1234", T0)
    # WHEN a burst follows in the same container within the minute
    written = [channels.record_webhook("facebook", "1234", T0 + timedelta(seconds=s)) for s in range(1, 60)]
    # THEN nothing more is written, and DynamoDB was not even called
    assert not any(written)
    assert len(calls) == 1 and stored(table)["last_webhook_at"] == iso(T0)
    # AND another container in the same minute is refused by the item's condition (silently)
    another_container()
    assert channels.record_webhook("facebook", "1234", T0 + timedelta(seconds=30)) is False
    assert len(calls) == 2 and stored(table)["last_webhook_at"] == iso(T0)
    # AND having met the newer value, that container does not ask again within the minute
    assert channels.record_webhook("facebook", "1234", T0 + timedelta(seconds=31)) is False
    assert len(calls) == 2


def test_a_minute_later_the_time_moves_and_an_older_time_never_overwrites_a_newer_one(table):
    channels.record_webhook("facebook", "1234", T0)
    assert channels.record_webhook("facebook", "1234", T0 + timedelta(seconds=61)) is True
    assert stored(table)["last_webhook_at"] == iso(T0 + timedelta(seconds=61))
    # GIVEN a container whose clock or request is behind WHEN it records an earlier time THEN it is refused
    another_container()
    assert channels.record_webhook("facebook", "1234", T0 + timedelta(seconds=5)) is False
    assert stored(table)["last_webhook_at"] == iso(T0 + timedelta(seconds=61))


def test_channels_are_kept_apart(table):
    channels.record_webhook("facebook", "1234", T0)
    assert channels.record_webhook("facebook", "9999", T0) is True
    assert channels.record_webhook("instagram", "1234", T0) is True
    assert sorted((c.platform, c.account) for c in channels.list_channels()) == [
        ("facebook", "1234"), ("facebook", "9999"), ("instagram", "1234")]


@pytest.mark.parametrize("failure", [refused(), refused("ValidationException"), dynamo.BotoCoreError()])
def test_a_storage_failure_is_logged_and_never_raised(table, failure):
    with mock.patch.object(dynamo.client(), "update_item", side_effect=failure), \
            mock.patch.object(channels.observability, "warning") as warning:
        assert channels.record_webhook("facebook", "1234", T0) is False
        assert channels.record_send("facebook", "1234", T0, ok=True) is False
    assert [c.args[0] for c in warning.call_args_list] == ["channel webhook not recorded", "channel send not recorded"]
    # AND nothing was remembered: the next webhook tries again
    assert channels.record_webhook("facebook", "1234", T0 + timedelta(seconds=1)) is True


# sends ---------------------------------------------------------------------------------------------

def test_sends_are_counted_and_the_last_one_is_kept(table):
    channels.record_send("facebook", "1234", T0, ok=True)
    channels.record_send("facebook", "1234", T0 + timedelta(minutes=1), ok=False, error_kind="rate_limited",
                         error_message="(#613) Calls to this api have exceeded the rate limit.")
    [channel] = channels.list_channels()
    assert (channel.sends_ok, channel.sends_failed) == (1, 1)
    assert channel.last_send_at == iso(T0 + timedelta(minutes=1)) and channel.last_send_ok is False
    assert channel.last_send_error == {"kind": "rate_limited",
                                       "message": "(#613) Calls to this api have exceeded the rate limit."}
    assert channel.token_error is None and channel.last_webhook_at is None  # a rate limit is not the token's fault


def test_a_token_failure_sets_token_error_until_a_send_succeeds(table):
    # GIVEN a send that failed on the token
    channels.record_send("facebook", "1234", T0, ok=False, error_kind="token_invalid",
                         error_message="Error validating access token: Session has expired")
    assert (stored(table)["token_error"], stored(table)["token_error_since"]) == ("token_invalid", iso(T0))
    # WHEN more sends fail, on a permission and then for another reason
    channels.record_send("facebook", "1234", T0 + timedelta(minutes=1), ok=False, error_kind="permission_denied")
    channels.record_send("facebook", "1234", T0 + timedelta(minutes=2), ok=False, error_kind="timeout")
    # THEN the token error stays, named by the latest token failure, since the first
    item = stored(table)
    assert (item["token_error"], item["token_error_since"]) == ("permission_denied", iso(T0))
    assert item["last_send_error"] == {"kind": "timeout"} and item["sends_failed"] == 3
    # WHEN a send succeeds THEN the errors are cleared and the counts kept
    channels.record_send("facebook", "1234", T0 + timedelta(minutes=3), ok=True)
    item = stored(table)
    assert not {"token_error", "token_error_since", "last_send_error"} & set(item)
    assert (item["last_send_ok"], item["sends_ok"], item["sends_failed"], item["rev"]) == (True, 1, 3, 4)


def test_a_send_recorded_after_a_later_one_only_counts(table):
    # GIVEN a success at T0 + 1 min already recorded
    channels.record_send("facebook", "1234", T0 + timedelta(minutes=1), ok=True)
    # WHEN a token failure of T0 is recorded late
    assert channels.record_send("facebook", "1234", T0, ok=False, error_kind="token_invalid") is True
    # THEN it counts, and the channel keeps the later success
    item = stored(table)
    assert (item["sends_ok"], item["sends_failed"], item["last_send_ok"]) == (1, 1, True)
    assert "token_error" not in item and item["last_send_at"] == iso(T0 + timedelta(minutes=1))


def test_a_long_platform_message_is_shortened(table):
    channels.record_send("x", "42", T0, ok=False, error_kind="rejected", error_message="e" * 5_000)
    assert stored(table, "x", "42")["last_send_error"]["message"] == "e" * channels.MAX_ERROR_MESSAGE_CHARS


def test_webhooks_and_sends_write_the_same_item_without_undoing_each_other(table):
    channels.record_send("telegram", "bot", T0, ok=False, error_kind="token_missing")
    channels.record_webhook("telegram", "bot", T0 + timedelta(seconds=1))
    [channel] = channels.list_channels()
    assert channel.token_error == "token_missing" and channel.last_webhook_at == iso(T0 + timedelta(seconds=1))


# listing ---------------------------------------------------------------------------------------------

def test_the_listing_is_one_query_of_the_channel_partition(table, calls):
    for n in range(5):
        channels.record_webhook("whatsapp", f"55{n}", T0)
    calls.clear()
    assert len(channels.list_channels()) == 5
    [(operation, params)] = calls
    assert operation == "Query" and params["ExpressionAttributeValues"] == {":pk": {"S": "CHANNEL"}}


def test_the_listing_answers_503_when_storage_is_unavailable(table):
    with mock.patch.object(dynamo.client(), "query", side_effect=refused()):
        with pytest.raises(StorageUnavailable):
            channels.list_channels()
