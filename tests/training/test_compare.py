"""training.compare: the paired gain between two trainings, its bootstrap CI, and what moved."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from chalicelib.classifier.artifact import pack_artifact
from training import compare
from training.corpus import LABELS

# Two hand-made webhook models that differ only in the weight of "meetup" for community (see test_evaluate).
def artifact(meetup_weight: float) -> dict:
    return pack_artifact(
        {"w:refund": [1.0, 5.0, 0.0, 0.0], "w:boycott": [1.0, 0.0, 5.0, 0.0],
         "w:meetup": [1.0, 0.0, 0.0, meetup_weight]},
        list(LABELS), [0.0, 0.0, 0.0], review_threshold=0.6,
    )


ROWS = [
    ("refund please", "customer_service"),
    ("boycott them all", "stance"),
    ("meetup tonight", "community"),
    ("the boycott meetup", "community"),  # stance for the baseline (5 > 3), community for the candidate (5 < 8)
    ("refund!!", "stance"),               # customer_service for both (wrong for both)
]


def model_dir(path: Path, meetup_weight: float) -> Path:
    path.mkdir()
    (path / "triage-model.bin").write_bytes(gzip.compress(json.dumps(artifact(meetup_weight)).encode()))
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "eval.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in ROWS), encoding="utf-8")
    return path


def test_identical_predictions_gain_nothing_with_a_zero_interval():
    truth = ["stance", "community", "customer_service", "community"]
    assert compare.paired_bootstrap(truth, truth, truth, resamples=200) == (0.0, 0.0, 0.0)


def test_gain_is_the_macro_f1_difference_and_the_interval_brackets_it():
    # GIVEN a candidate that fixes one of the baseline's two errors
    truth = ["customer_service", "stance", "community", "community", "stance"] * 8
    baseline = ["customer_service", "stance", "community", "stance", "customer_service"] * 8
    candidate = ["customer_service", "stance", "community", "community", "customer_service"] * 8
    # WHEN compared
    gain, low, high = compare.paired_bootstrap(truth, baseline, candidate)
    # THEN the gain is exact (F1 per label, baseline 2/3, 1/2, 2/3; candidate 2/3, 2/3, 1) and the interval holds it
    assert gain == pytest.approx((2 / 3 + 2 / 3 + 1) / 3 - (2 / 3 + 1 / 2 + 2 / 3) / 3)
    assert 0.0 <= low <= gain <= high
    assert compare.paired_bootstrap(truth, baseline, candidate) == (gain, low, high)  # fixed seed


def test_main_reports_both_sides_what_moved_and_the_gain_last(tmp_path, data, capsys):
    baseline = model_dir(tmp_path / "old", 3.0)
    candidate = model_dir(tmp_path / "new", 8.0)
    code = compare.main(["--baseline", str(baseline), "--candidate", str(candidate), "--data", str(data),
                         "--webhook-only"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("5 rows of") and "webhook model" in lines[0]
    assert "community -> stance: 1 -> 0" in out
    assert "stance -> customer_service: 1 -> 1" not in out  # unchanged cells are not listed
    gain = float(lines[-1].removeprefix("macro_f1_gain="))
    assert gain > 0 and lines[-1] == f"macro_f1_gain={gain:+.3f}"


def test_unreadable_data_or_models_exit_2(tmp_path, data, capsys):
    baseline = model_dir(tmp_path / "old", 3.0)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert compare.main(["--baseline", str(baseline), "--candidate", str(baseline), "--data", str(bad),
                         "--webhook-only"]) == 2
    assert compare.main(["--baseline", str(tmp_path / "missing"), "--candidate", str(baseline), "--data", str(data),
                         "--webhook-only"]) == 2
    assert "cannot load" in capsys.readouterr().err
