"""The pure-Python runtime scorer reproduces the scikit-learn pipeline, and the committed artifact is current
(the same model within floating-point tolerance: byte identity holds on one machine only).

The pipeline is fitted once per session exactly as training does (training.train.fit over load_corpus()),
exported with training.train.export, written with training.train.write_artifact and loaded back with
TriageModel.load, so the whole chain the Lambda depends on is exercised.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("sklearn")

from chalicelib.classifier.artifact import read_artifact  # noqa: E402
from chalicelib.classifier.features import MAX_TEXT_CHARS  # noqa: E402
from chalicelib.classifier.scorer import TriageModel  # noqa: E402
from training import train  # noqa: E402
from training.corpus import LABELS, load_corpus  # noqa: E402

TOLERANCE = 1e-9

ADVERSARIAL = [
    "",
    " ",
    "\t\n\r\x0b\x0c   ",
    "😀",
    "😡😡😡🔥🔥👎",
    "🇯🇵👍🏽👨‍👩‍👧‍👦",
    "a" * 20_000,
    ("My refund still has not arrived and nobody answers the chat. " * 400)[:20_000],
    "x" * (MAX_TEXT_CHARS - 2) + "&amp;&amp; refund",  # the length cap cuts through an HTML entity
    "\x00",
    "refund\x00please\x00\x00",
    "\x01\x02\x03\x07\x08\x1b[31mred\x1b[0m\x7f\x80\x9f",
    "order\u0000#\u0085123\u2028line\u2029para",
    "أين طلبي؟ لم يصل بعد أسبوعين",
    "איפה ההזמנה שלי? כבר שבועיים",
    "\u202eدنفير يلع\u202c refund \u200fשלום\u200e",
    "My 注文 hasn't arrived, مرحبا, שלום, привет, 안녕하세요, สวัสดี",
    "ＲＥＦＵＮＤ　ＰＬＥＡＳＥ　１２３",
    "ｶｽﾀﾏｰｻﾎﾟｰﾄに電話がつながらない",
    "&amp; &#39; &quot; &lt;b&gt;bold&lt;/b&gt; &#x1F600; &nbsp; &copy; &#0; &#x110000; &bogus; &",
    "re\u200bfund\u200c \u200dplease\u2060 \ufeffnow",
    "\u200b\u200b\u200b",
    "e\u0301 cafe\u0301 ﬁ ligature Å",
    "\ud800 lone surrogate \udfff",
    "https://t.co/xYz12 www.example.com/a?b=c @BrandSupport @AskAcme @random_person #hashtag #返金",
    "1234567890 000 42",
    "refund " * 3_000,
    "?!?!?!?! ... ,,, ;;; --- ***",
    "I\u2019m not happy, it\u2019s broken, don't ignore me",
    "LOL\n\n\nSAME\n\nthis thread 😂",
]


@pytest.fixture(scope="module")
def committed_artifact() -> dict:
    return read_artifact(train.MODEL_PATH.read_bytes())


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def pipeline(corpus):
    return train.fit(corpus)


@pytest.fixture(scope="module")
def fresh_artifact_path(pipeline, committed_artifact, tmp_path_factory) -> Path:
    # the review threshold comes from training's cross-validation; the committed artifact records it
    artifact = train.export(pipeline, committed_artifact["review_threshold"])
    path = tmp_path_factory.mktemp("artifact") / "triage-model.bin"
    train.write_artifact(artifact, path)
    return path


@pytest.fixture(scope="module")
def model(fresh_artifact_path) -> TriageModel:
    return TriageModel.load(fresh_artifact_path)


def sklearn_probabilities(pipeline, texts: list[str]) -> list[list[float]]:
    """predict_proba, columns reordered from sklearn's sorted classes_ to the artifact's LABELS order."""
    classes = list(pipeline.named_steps["clf"].classes_)
    columns = [classes.index(label) for label in LABELS]
    return [[float(row[c]) for c in columns] for row in pipeline.predict_proba(texts)]


def assert_parity(pipeline, model: TriageModel, texts: list[str]) -> None:
    expected = sklearn_probabilities(pipeline, texts)
    chosen = list(pipeline.predict(texts))
    worst, mismatched = 0.0, []
    for text, want, want_label in zip(texts, expected, chosen):
        got = model.probabilities(text)
        diff = max(abs(g - w) for g, w in zip(got, want))
        worst = max(worst, diff)
        if diff > TOLERANCE:
            mismatched.append((text[:60], got, want))
        result = model.classify(text)
        ranked = sorted(want, reverse=True)
        if ranked[0] - ranked[1] > TOLERANCE:  # a genuine tie may break either way; none is expected
            assert result.category == want_label, (text[:80], result.scores, want)
        assert result.confidence == max(got)
    assert not mismatched, f"{len(mismatched)} texts differ by more than {TOLERANCE} (worst {worst:.3g}): {mismatched[:5]}"


def test_label_orders(pipeline, model):
    assert model.labels == list(LABELS)
    assert list(pipeline.named_steps["clf"].classes_) == sorted(LABELS)
    assert list(LABELS) != sorted(LABELS), "the orders differ, so the reordering above is really exercised"


def test_parity_on_every_corpus_text(pipeline, model, corpus):
    assert_parity(pipeline, model, [e.text for e in corpus])


def test_parity_on_adversarial_inputs(pipeline, model):
    assert_parity(pipeline, model, ADVERSARIAL)


def test_adversarial_inputs_give_valid_results(model):
    for text in ADVERSARIAL:
        result = model.classify(text)
        assert result.category in LABELS
        assert abs(sum(result.scores.values()) - 1.0) < 1e-12
        assert all(w.weight > 0 for w in result.top_terms)


def test_featureless_text_scores_the_intercept(pipeline, model):
    """Text with no known feature: sklearn and the runtime both fall back to softmax(intercept)."""
    for text in ("", "\x00", "\u200b\u200b", "😀"):
        assert model._features(text) == {}
        assert model.classify(text).needs_review  # the prior alone decided: a person should look
    assert_parity(pipeline, model, ["", "\x00", "\u200b\u200b", "😀"])


mixed_text = st.lists(
    st.one_of(
        st.sampled_from(["refund", "boycott", "meetup", "order", "thanks", "返金", "配送", "最高", "&amp;", "@AskAcme",
                         "https://t.co/abc", "#fail", "LOL", "😂", "\u200b", "\x00", "مرحبا", "שלום"]),
        st.text(max_size=12),
    ),
    max_size=30,
).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(mixed_text, min_size=1, max_size=8))
def test_parity_on_generated_text(pipeline, model, texts):
    assert_parity(pipeline, model, texts)


def test_committed_artifact_is_current(fresh_artifact_path, committed_artifact, corpus):
    """Retraining gives the committed model: same vocabulary, weights within train.WEIGHT_RTOL, same predictions.
    Not the same bytes: another CPU's BLAS kernels move the weights in the last digits."""
    fresh = read_artifact(fresh_artifact_path.read_bytes())
    problems = train.artifact_differences(committed_artifact, fresh, [e.text for e in corpus])
    assert not problems, (
        f"models/triage-model.bin ({committed_artifact['version']}) is not what training produces from the current "
        f"corpus ({fresh['version']}): run `python -m training.train`\n" + "\n".join(problems)
    )


def test_artifact_differences_ignores_noise_and_catches_a_real_change(committed_artifact, corpus):
    """The tolerance is loose enough for another CPU (weights moved by 5e-12) and tight enough for a real change."""
    from chalicelib.classifier.artifact import _pack_doubles, unpack_artifact

    names, idf, weights = unpack_artifact(committed_artifact)
    texts = [e.text for e in corpus][::10]

    def with_weights(values) -> dict:
        return {**committed_artifact, "weights": _pack_doubles(list(values))}

    noisy = with_weights(w + 5e-12 * (1 if i % 2 else -1) for i, w in enumerate(weights))
    assert train.artifact_differences(committed_artifact, noisy, texts) == []
    moved = with_weights(w * (1 + 1e-6) if i == 7 else w for i, w in enumerate(weights))
    assert any(p.startswith("weights: 1 values") for p in train.artifact_differences(committed_artifact, moved))
    fewer = {**committed_artifact, "terms": "\n".join(names[1:]), "idf": _pack_doubles(list(idf)[1:]),
             "weights": _pack_doubles(list(weights)[len(LABELS):])}
    assert train.artifact_differences(committed_artifact, fewer)[0].startswith("vocabulary:")
    other = {**committed_artifact, "review_threshold": committed_artifact["review_threshold"] + 0.05}
    assert train.artifact_differences(committed_artifact, other)[0].startswith("review_threshold:")


def test_committed_artifact_is_self_consistent(committed_artifact):
    """Its version is the content hash of its body, and the model card describes this version."""
    import hashlib

    body = {k: v for k, v in committed_artifact.items() if k != "version"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    assert committed_artifact["version"] == f"triage-{digest[:12]}"
    assert committed_artifact["labels"] == list(LABELS)
    card = train.CARD_PATH.read_text(encoding="utf-8")
    assert card.splitlines()[0] == f"# Model card: {committed_artifact['version']}"


def test_model_card_corpus_size_matches(corpus):
    card = train.CARD_PATH.read_text(encoding="utf-8")
    assert f"`training/data/`), {len(corpus)} messages" in card, "MODEL_CARD.md is stale: run `python -m training.train`"
