"""domain.privacy's retention rules: how long a brand may keep the content of closed conversations
(RETENTION_DAYS), and the cutoff the sweep erases before."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import privacy

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("days", [0, 30, 365, 3650])
def test_keep_for_ever_or_a_month_to_ten_years_is_a_retention_period(days):
    assert privacy.check_retention_days(days) == days


@pytest.mark.parametrize("days", [-1, 1, 29, 3651])
def test_anything_else_is_refused(days):
    with pytest.raises(ValueError, match="RETENTION_DAYS must be 0"):
        privacy.check_retention_days(days)


def test_the_cutoff_is_that_many_days_back_and_none_when_everything_is_kept():
    assert privacy.retention_cutoff(NOW, 90) == NOW - timedelta(days=90)
    assert privacy.retention_cutoff(NOW, privacy.KEEP_FOREVER) is None


def test_retention_is_a_reason_an_erasure_gives():
    from typing import get_args

    from chalicelib.schemas import ErasureRecordOut

    assert privacy.RETENTION in privacy.REASONS
    assert set(get_args(ErasureRecordOut.model_fields["reason"].annotation)) == set(privacy.REASONS)
