"""Keys of every entity in the single table (one place that knows the key formats)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

MAX_PRIORITY = 999
AUTHOR_WINDOW = timedelta(minutes=15)


def iso(moment: datetime) -> str:
    """Fixed-width UTC timestamps sort as strings."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def hour_of(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


def day_of(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d")


class MessageKeys:
    """A message item: pk MSG#<id>; listed by GSI1 (queue, status, priority) and GSI2 (age or lease)."""

    SK = "MSG"

    @staticmethod
    def pk(message_id: str) -> str:
        return f"MSG#{message_id}"

    @staticmethod
    def queue_partition(queue: str, status: str) -> str:
        return f"QUEUE#{queue}#{status}"

    @staticmethod
    def queue_sort(priority: int, received_at: str, message_id: str) -> str:
        # highest priority first, then oldest, then id for a total order
        return f"{MAX_PRIORITY - priority:03d}#{received_at}#{message_id}"

    @staticmethod
    def open_partition(queue: str) -> str:
        return f"OPEN#{queue}"

    @staticmethod
    def lease_partition(queue: str) -> str:
        return f"LEASE#{queue}"


class VolumeCounterKeys:
    """Messages received per queue and hour (UTC): pk STATS#<queue>, sk H#<hour>.

    One item per queue and hour whatever the platforms, so a week of stats reads at most 3 x 168 items:
    per-platform counts are attributes of it (`messages:<platform>`).
    """

    @staticmethod
    def pk(queue: str) -> str:
        return f"STATS#{queue}"

    @staticmethod
    def sk(hour: str) -> str:
        return f"H#{hour}"

    @staticmethod
    def hour(sk: str) -> str:
        return sk[len("H#"):]


class ModelCounterKeys:
    """Live accuracy per queue the model chose, day and model version: pk ACCURACY#<queue>, sk D#<day>#<version>."""

    @staticmethod
    def pk(queue: str) -> str:
        return f"ACCURACY#{queue}"

    @staticmethod
    def sk(day: str, version: str) -> str:
        return f"D#{day}#{version}"


class AuthorActivityKeys:
    """Messages per author in a 15-minute window (TTL-expired): pk AUTHOR#<platform>#<id>, sk W#<window>."""

    @staticmethod
    def pk(platform: str, author_id: str) -> str:
        return f"AUTHOR#{platform}#{author_id}"

    @staticmethod
    def window(moment: datetime) -> str:
        epoch = int(moment.timestamp())
        size = int(AUTHOR_WINDOW.total_seconds())
        return f"W#{epoch - epoch % size}"


class ApiKeyKeys:
    """API keys (hashed) in one small partition: pk APIKEY, sk <key id>."""

    PK = "APIKEY"


class SpikeKeys:
    """One marker per category and UTC hour found anomalous: pk SPIKE#<queue>, sk H#<hour>.

    Written once (conditional put), so the table's stream announces each spike once however often the
    scheduled detection runs.
    """

    TYPE = "spike"

    @staticmethod
    def pk(queue: str) -> str:
        return f"SPIKE#{queue}"

    @staticmethod
    def sk(hour: str) -> str:
        return f"H#{hour}"

    @staticmethod
    def is_marker(item: dict) -> bool:
        return item.get("type") == SpikeKeys.TYPE and str(item.get("pk", "")).startswith("SPIKE#")
