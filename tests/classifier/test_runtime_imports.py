"""The runtime classifier: no scientific stack at import or scoring time, and classify()'s contract."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.classifier import scorer
from chalicelib.classifier.artifact import MAGIC, from_bytes, pack_artifact, read_artifact, to_bytes
from chalicelib.classifier.features import normalize
from chalicelib.classifier.scorer import DEFAULT_MODEL_PATH, TOP_TERMS, Triage, TriageModel, classify, get_model
from support import reset_caches
from training.corpus import LABELS

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "numpy", "scipy", "pandas", "torch", "onnxruntime")

CLEAR = {
    "customer_service": "@AcmeSupport my order #55120 still hasn't arrived after 2 weeks, can you check where it is?",
    "stance": "Disgusted by your CEO's statement. I'm cancelling my membership and telling everyone to boycott you.",
    "community": "lol @jen_k same, who else is watching the finale tonight?? 😂",
}
JAPANESE = {
    "customer_service": "注文した商品がまだ届きません。注文番号は12345です。確認してもらえますか？",
    "community": "今日の配信めっちゃ楽しかった！みんなお疲れさま〜",
}


@pytest.fixture(autouse=True)
def default_model(monkeypatch):
    """classify() as deployed: the committed artifact, the artifact's own threshold."""
    monkeypatch.delenv("TRIAGE_MODEL_PATH", raising=False)
    monkeypatch.delenv("TRIAGE_REVIEW_THRESHOLD", raising=False)
    reset_caches()
    monkeypatch.setattr(scorer, "_model", None)
    yield
    reset_caches()


def test_import_and_classify_without_scientific_stack():
    script = r"""
import json, sys
import chalicelib.classifier as classifier
texts = ["where is my refund??", "boycott this brand", "see you all at the meetup", "返金はいつですか", "", "😀"]
results = [classifier.classify(t) for t in texts]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"sklearn", "numpy", "scipy", "pandas", "torch", "onnxruntime"})
print(json.dumps({"heavy": heavy, "categories": [r.category for r in results]}))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("TRIAGE_MODEL_PATH", "TRIAGE_REVIEW_THRESHOLD")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["heavy"] == [], f"the runtime imported {report['heavy']}"
    assert len(report["categories"]) == 6 and set(report["categories"]) <= set(LABELS)


def test_classifier_package_does_not_import_training_code():
    import chalicelib.classifier.features as features

    for module in (scorer, features):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(sklearn|numpy|scipy|training)\b", source, re.M), module.__name__


def test_probabilities_sum_to_one_and_agree():
    for text in [*CLEAR.values(), *JAPANESE.values(), "", "?"]:
        result = classify(text)
        assert isinstance(result, Triage)
        assert list(result.scores) == list(LABELS)
        assert math.isclose(sum(result.scores.values()), 1.0, abs_tol=1e-12)
        assert all(0.0 <= p <= 1.0 for p in result.scores.values())
        assert result.confidence == max(result.scores.values())
        assert result.category == max(result.scores, key=result.scores.get)


@pytest.mark.parametrize("label", sorted(CLEAR))
def test_clear_messages(label):
    assert classify(CLEAR[label]).category == label


@pytest.mark.parametrize("label", sorted(JAPANESE))
def test_japanese_text(label):
    text = JAPANESE[label]
    result = classify(text)
    assert result.category == label
    assert result.top_terms, "Japanese text must hit character n-gram features"
    assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t.term) for t in result.top_terms)


@pytest.mark.parametrize("text", [*CLEAR.values(), *JAPANESE.values()])
def test_top_terms_present_positive_and_from_the_text(text):
    result = classify(text)
    terms = result.top_terms
    assert 1 <= len(terms) <= TOP_TERMS
    assert all(t.weight > 0 for t in terms)
    assert [t.weight for t in terms] == sorted((t.weight for t in terms), reverse=True)
    norm = normalize(text)
    for t in terms:
        assert t.term and all(piece in norm for piece in t.term.split()), (t.term, norm)
    shown = [t.term for t in terms]
    assert not any(a != b and a in b for a in shown for b in shown), "overlapping n-grams are shown once"


def test_no_top_terms_without_features():
    assert classify("").top_terms == []


def test_model_version():
    artifact = read_artifact(DEFAULT_MODEL_PATH.read_bytes())
    result = classify("where is my parcel")
    assert result.model_version == artifact["version"] == get_model().version
    assert re.fullmatch(r"triage-[0-9a-f]{12}", result.model_version)
    body = {k: v for k, v in artifact.items() if k != "version"}
    assert result.model_version == "triage-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


def test_needs_review_uses_the_artifact_threshold_by_default():
    threshold = get_model().review_threshold
    assert 0 < threshold < 1
    for text in [*CLEAR.values(), *JAPANESE.values(), "", "ok", "hmm", "thanks", "?"]:
        result = classify(text)
        # below the threshold, or nothing the model knows (the prior alone decided)
        assert result.needs_review == (result.confidence < threshold or not get_model()._features(text))


def test_needs_review_threshold_env_override(monkeypatch):
    from chalicelib.ingest import classify_message

    text = CLEAR["customer_service"]
    confidence = classify_message(text).confidence
    assert 1 / len(LABELS) < confidence < 1.0
    monkeypatch.setenv("TRIAGE_REVIEW_THRESHOLD", repr(min(1.0, confidence + 1e-6)))
    reset_caches()
    assert classify_message(text).needs_review is True  # under the threshold
    monkeypatch.setenv("TRIAGE_REVIEW_THRESHOLD", repr(confidence))
    reset_caches()
    assert classify_message(text).needs_review is False  # at the threshold: not under it
    monkeypatch.setenv("TRIAGE_REVIEW_THRESHOLD", "0")
    reset_caches()
    assert classify_message(text).needs_review is False
    monkeypatch.setenv("TRIAGE_REVIEW_THRESHOLD", "1.01")
    reset_caches()
    assert all(classify_message(t).needs_review for t in [*CLEAR.values(), *JAPANESE.values(), ""])
    monkeypatch.setenv("TRIAGE_REVIEW_THRESHOLD", "")  # empty: the artifact's threshold
    reset_caches()
    assert classify_message(text).needs_review == (confidence < get_model().review_threshold)


def test_model_path_env_and_single_load(monkeypatch, tmp_path):
    from chalicelib.ingest import classify_message

    artifact = pack_artifact({"w:meetup": [1.0, 0.0, 0.0, 4.0]}, list(LABELS), [0.0, 0.0, 0.0], 0.5)
    path = tmp_path / "tiny.json"  # plain JSON is accepted too
    path.write_text(json.dumps(artifact), encoding="utf-8")
    monkeypatch.setenv("TRIAGE_MODEL_PATH", str(path))
    reset_caches()
    result = classify_message("meetup")
    assert (result.category, result.model_version) == ("community", artifact["version"])
    assert result.top_terms[0].term == "meetup"
    assert get_model() is get_model()  # loaded once per container


def test_the_classifier_reads_no_settings():
    """A cold process classifies without importing the app's settings (pydantic-settings is slow to import)."""
    script = r"""
import sys
import chalicelib.classifier as classifier
classifier.classify("where is my refund??")
print(sorted(m for m in sys.modules if m.startswith(("chalicelib.config", "pydantic"))))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("TRIAGE_MODEL_PATH", "TRIAGE_REVIEW_THRESHOLD")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_unsupported_format_is_refused():
    with pytest.raises(ValueError, match="unsupported model format"):
        TriageModel({"format": 1, "terms": {}})


# --- the binary container the Lambda maps ------------------------------------------------------------

TINY = pack_artifact({"w:meetup": [1.0, 0.0, 0.0, 4.0], "w:refund": [1.5, 3.0, 0.0, -1.0], "c:返金": [2.0, 2.0, 0.5, 0.0]},
                     list(LABELS), [0.1, -0.2, 0.3], 0.5)


def test_container_round_trip_is_exact_and_keeps_the_version():
    data = to_bytes(TINY)
    assert data.startswith(MAGIC) and to_bytes(TINY) == data  # deterministic
    assert from_bytes(data) == TINY  # version, intercept, terms and every float64 bit for bit
    assert read_artifact(data) == TINY


@pytest.fixture(scope="module")
def decoded_model() -> TriageModel:
    """The committed artifact decoded whole (TriageModel(dict)): what the mapped container must match."""
    return TriageModel(read_artifact(DEFAULT_MODEL_PATH.read_bytes()))


@pytest.mark.parametrize("damage", ["truncated", "extended", "magic", "format"])
def test_a_damaged_container_is_refused(tmp_path, damage):
    data = to_bytes(TINY)
    damaged = {"truncated": data[:-3], "extended": data + b"\0" * 8, "magic": b"TRIAGEB9" + data[8:],
               "format": data.replace(b'"format":2', b'"format":9')}[damage]
    path = tmp_path / "damaged.bin"
    path.write_bytes(damaged)
    with pytest.raises(ValueError):
        TriageModel.load(path)


def test_has_cjk_is_the_character_class_it_replaced():
    """features.has_cjk answers exactly as re's [\\u3040-\\u30ff\\u3400-\\u9fff\\uf900-\\ufaff\\uff66-\\uff9f] did."""
    from chalicelib.classifier.features import has_cjk

    cjk = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
    for code in [*range(0x10000), 0x1F600, 0x20000, 0x10FFFF]:
        char = chr(code)
        assert has_cjk(char) == bool(cjk.search(char)) == has_cjk(f"ab{char}cd"), hex(code)
    assert has_cjk("") is False and has_cjk("refund") is False and has_cjk("返金はいつ") is True


def test_the_mapped_model_reads_only_the_buckets_a_message_needs_and_scores_as_the_decoded_one(decoded_model):
    model = TriageModel.load(DEFAULT_MODEL_PATH)
    assert model._index == {}  # nothing decoded at load
    model.classify(CLEAR["customer_service"])
    assert 0 < len(model._index) < 2_000  # of 81,146 terms
    assert model.version == decoded_model.version and model.labels == decoded_model.labels
    texts = [*CLEAR.values(), *JAPANESE.values(), "refund refund refund", "\ud800 lone surrogate \udfff", ""]
    assert [model.classify(t) for t in texts] == [decoded_model.classify(t) for t in texts]


def test_the_mapped_model_is_safe_to_share_between_threads(decoded_model):
    from concurrent.futures import ThreadPoolExecutor

    from training.corpus import load_corpus

    texts = [e.text for e in load_corpus()][:600]
    model = TriageModel.load(DEFAULT_MODEL_PATH)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(model.probabilities, texts))
    assert results == [decoded_model.probabilities(t) for t in texts]


def test_japanese_text_gets_its_own_bias_feature_never_shown_as_a_term():
    from chalicelib.classifier.features import JAPANESE_FEATURE, analyze

    assert analyze("返金はいつですか")[-1] == JAPANESE_FEATURE
    assert analyze("@SkylarkAirHelp 返金まだ？ refund pls").count(JAPANESE_FEATURE) == 1
    assert JAPANESE_FEATURE not in analyze("where is my refund") and JAPANESE_FEATURE not in analyze("")
    artifact = pack_artifact({JAPANESE_FEATURE: [1.0, 9.0, 0.0, 0.0], "c:返金": [1.0, 1.0, 0.0, 0.0]},
                             list(LABELS), [0.0, 0.0, 0.0], 0.5)
    result = TriageModel(artifact).classify("返金")
    assert result.category == "customer_service"
    assert [t.term for t in result.top_terms] == ["返金"]  # the bias pushed hardest, but it is not in the text
