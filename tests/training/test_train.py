"""`python -m training.train`: extra labelled rows (agents' corrections) join the corpus; output is reproducible
(the same model within floating-point tolerance; byte identity is a property of one machine, not of the suite)."""

from __future__ import annotations

import json

from chalicelib.classifier.artifact import read_artifact
from chalicelib.classifier.scorer import TriageModel
from training import corpus, train

WORDS = {
    "customer_service": ["refund", "delivery", "invoice", "password", "outage", "parcel", "charged", "login"],
    "stance": ["boycott", "values", "equality", "statement", "woke", "diversity", "politics", "pride"],
    "community": ["meetup", "giveaway", "festival", "lol", "fundraiser", "cosplay", "spam", "concert"],
}


def tiny_corpus(folder):
    folder.mkdir()
    for label, words in WORDS.items():
        rows = [{"text": f"{a} and {b} today", "label": label, "lang": "en"}
                for i, a in enumerate(words) for b in words[i + 1:]]
        (folder / f"{label}.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")


def test_extra_rows_join_the_corpus_and_the_vocabulary(tmp_path, monkeypatch):
    # GIVEN a small corpus and an agents' corrections file with a word the corpus never uses
    tiny_corpus(tmp_path / "data")
    monkeypatch.setattr(corpus, "CORPUS_DIR", tmp_path / "data")
    extra = tmp_path / "corrections.jsonl"
    extra.write_text("\n".join(json.dumps({"text": f"zorblax statement {i}", "label": "stance"}) for i in range(3)))
    assert len(corpus.load_corpus([extra])) == len(corpus.load_corpus()) + 3

    def run(out_name, *extra_args):
        out, card = tmp_path / out_name, tmp_path / f"{out_name}.md"
        assert train.main(["--out", str(out), "--card", str(card), "--dev", str(tmp_path / "none.jsonl"),
                           *extra_args]) == 0
        return out, card

    # WHEN training runs with --extra, twice, and once without
    with_extra, card = run("a.bin", "--extra", str(extra))
    again, _ = run("b.bin", "--extra", str(extra))
    without, _ = run("c.bin")
    # THEN the extra word is in the model and pulls towards stance; same inputs give the same model
    terms = read_artifact(with_extra.read_bytes())["terms"].split("\n")
    assert "w:zorblax" in terms
    assert "w:zorblax" not in read_artifact(without.read_bytes())["terms"].split("\n")
    texts = [e.text for e in corpus.load_corpus([extra])]
    assert train.artifact_differences(read_artifact(with_extra.read_bytes()), read_artifact(again.read_bytes()), texts) == []
    assert TriageModel.load(with_extra).classify("zorblax").category == "stance"
    assert "including extra corrections" in card.read_text()


def test_review_threshold_is_the_highest_whose_flagged_share_fits_the_cap():
    # GIVEN 100 predictions whose confidences run 0.40, 0.41, ... 1.39 (one per step; above 0.90 never flagged)
    confidence = [round(0.40 + 0.01 * i, 2) for i in range(100)]
    truth = predicted = ["stance"] * 100
    # WHEN the threshold is chosen under the default cap (10%) and under a tighter one (5%)
    default, table = train.choose_review_threshold(truth, predicted, confidence)
    tighter, _ = train.choose_review_threshold(truth, predicted, confidence, max_share=0.05)
    # THEN each is the highest grid value flagging no more than its cap: 10 rows below 0.50, 5 below 0.45
    assert (default, tighter) == (0.50, 0.45)
    assert "| 0.50 (chosen) | 10.0% | 1.000 |" in table
