"""training.cross_writer: leave-one-writer-out evaluation. Each writer group is scored by models that never saw it."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np

from training import augment, corpus, cross_writer, train
from training.corpus import LABELS

# Three fake writers, each with its own vocabulary per label, so that a leak would be easy to score well on.
WRITERS = {
    "en_alpha.jsonl": ("en", {"customer_service": ["refund", "parcel", "invoice", "login"],
                              "stance": ["boycott", "values", "equality", "woke"],
                              "community": ["meetup", "giveaway", "lol", "cosplay"]}),
    "en_v2_beta.jsonl": ("en", {"customer_service": ["refund", "outage", "charged", "password"],
                                "stance": ["boycott", "statement", "diversity", "politics"],
                                "community": ["meetup", "festival", "concert", "spam"]}),
    "ja_v4_gamma.jsonl": ("ja", {"customer_service": ["返金", "配送", "ログイン", "請求"],
                                 "stance": ["不買", "声明", "差別", "炎上"],
                                 "community": ["草", "オフ会", "プレゼント", "ライブ"]}),
}


def write_tiny_corpus(folder):
    """A few dozen rows in three writer groups (v1 English, one v2 file, one v4 file)."""
    folder.mkdir()
    for name, (lang, words) in WRITERS.items():
        rows = [{"text": f"{a} {b} today", "label": label, "lang": lang}
                for label, vocabulary in words.items() for i, a in enumerate(vocabulary) for b in vocabulary[i + 1:]]
        (folder / name).write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")


def test_every_corpus_file_is_in_exactly_one_writer_group_of_one_version():
    # GIVEN the real corpus's files (names only: nothing is fit)
    files = sorted(p.name for p in corpus.CORPUS_DIR.glob("*.jsonl"))

    # WHEN each is given its writer group
    group_of = {f: cross_writer.writer_group(f) for f in files}

    # THEN every file has exactly one group, and a group never mixes rounds: a writer wrote it in one round
    assert sorted(group_of) == files
    rounds_per_group = defaultdict(set)
    for f, group in group_of.items():
        rounds_per_group[group].add(cross_writer.writer_round(f))
    assert all(len(rounds) == 1 for rounds in rounds_per_group.values()), rounds_per_group
    # version 1 is split by language; every version 2 and 4 file is its own writer's; version 3 is one writer
    assert {g for g in group_of.values() if g.startswith("v1_")} == {"v1_en", "v1_ja"}
    assert group_of["en_v3_threads_and_service.jsonl"] == group_of["ja_v3_stance_and_service.jsonl"] == "v3"
    later = [f for f in files if cross_writer.writer_round(f) in (2, 4)]
    assert len({group_of[f] for f in later}) == len(later)


def test_rows_know_their_file_and_group_in_the_order_models_are_trained_on(tmp_path, monkeypatch):
    # GIVEN a tiny corpus in place of the real one
    write_tiny_corpus(tmp_path / "data")
    monkeypatch.setattr(corpus, "CORPUS_DIR", tmp_path / "data")

    # WHEN it is loaded by writer
    data = cross_writer.load_by_writer()

    # THEN its rows are load_corpus's, and the groups are named by round and file
    assert data.examples == corpus.load_corpus()
    assert data.group_order() == ["v1_en", "en_v2_beta", "ja_v4_gamma"]


def test_the_webhook_model_never_trains_on_the_rows_it_scores(tmp_path, monkeypatch):
    # GIVEN a tiny corpus of three writer groups, and a spy on the webhook model's fit
    write_tiny_corpus(tmp_path / "data")
    data = cross_writer.load_by_writer(tmp_path / "data")
    fitted_on: list[set[str]] = []
    real_fit = train.fit

    def spy_fit(examples):
        fitted_on.append({e.text for e in examples})
        return real_fit(examples)

    monkeypatch.setattr(train, "fit", spy_fit)

    # WHEN each group is held out in turn
    predicted = cross_writer.held_out_predictions(data.groups, cross_writer.webhook_fit_predict(data.examples))

    # THEN one fit per group, none on a held-out row, each on all the other groups' rows; every row is predicted
    assert len(fitted_on) == 3
    for group, training_texts in zip(cross_writer.in_order(data.groups), fitted_on):
        held_out = {e.text for e, g in zip(data.examples, data.groups) if g == group}
        others = {e.text for e, g in zip(data.examples, data.groups) if g != group}
        assert not training_texts & held_out
        assert training_texts == others
    assert len(predicted) == len(data.examples) and set(predicted) <= set(LABELS)


def test_the_second_opinion_never_trains_on_the_rows_it_scores(tmp_path, monkeypatch):
    # GIVEN the tiny corpus with made-up embeddings (no encoder: the fit only needs a dense block per row)
    from training import second_opinion

    write_tiny_corpus(tmp_path / "data")
    data = cross_writer.load_by_writer(tmp_path / "data")
    embeddings = np.random.default_rng(0).normal(size=(len(data.examples), 8)).astype(np.float32)
    fitted_rows: list[set[str]] = []
    embedded_variants: dict[int, list[str]] = defaultdict(list)  # by the fit that asked
    real_fit = second_opinion.fit

    def spy_fit(examples, rows_embeddings):
        assert len(rows_embeddings) == len(examples)  # each row keeps its own embedding
        fitted_rows.append({e.text for e in examples})
        return real_fit(examples, rows_embeddings)

    def fake_embed(texts):  # the surface variants' embeddings, which fit asks the encoder for
        embedded_variants[len(fitted_rows) - 1].extend(texts)
        return np.random.default_rng(len(texts)).normal(size=(len(texts), 8)).astype(np.float32)

    monkeypatch.setattr(second_opinion, "fit", spy_fit)
    monkeypatch.setattr(second_opinion, "embed", fake_embed)
    monkeypatch.setattr(augment, "SHARE", 0.5)  # the tiny corpus's 18 Japanese rows surely give some

    # WHEN each group is held out in turn
    predicted = cross_writer.held_out_predictions(
        data.groups, cross_writer.second_opinion_fit_predict(data.examples, embeddings))

    # THEN no fit saw the group it scored, not even as a variant of one of its rows
    for k, (group, training_texts) in enumerate(zip(cross_writer.in_order(data.groups), fitted_rows)):
        variants = embedded_variants[k]
        held_out = {e.text for e, g in zip(data.examples, data.groups) if g == group}
        assert not training_texts & held_out
        assert all(any(t in v for t in training_texts) and not any(t in v for t in held_out) for v in variants)
    assert len(fitted_rows) == 3 and len(predicted) == len(data.examples)
    assert sum(map(len, embedded_variants.values())) > 0  # the Japanese rows had variants where trained on


def test_pooled_confusion_matrices_count_every_row_once_and_the_report_has_every_group(tmp_path):
    # GIVEN the tiny corpus and held-out predictions from the webhook model
    write_tiny_corpus(tmp_path / "data")
    data = cross_writer.load_by_writer(tmp_path / "data")
    predicted = cross_writer.held_out_predictions(data.groups, cross_writer.webhook_fit_predict(data.examples))

    # WHEN the confusion matrices per language and the report are built
    matrices = cross_writer.confusion_by_language(data.examples, predicted)
    text = cross_writer.report(data, {cross_writer.WEBHOOK: predicted})

    # THEN the matrices sum to the row count, each true-label row to that label's rows in its language
    assert sum(v for matrix in matrices.values() for row in matrix for v in row) == len(data.examples)
    for lang, matrix in matrices.items():
        for label, row in zip(LABELS, matrix):
            assert sum(row) == sum(e.lang == lang and e.label == label for e in data.examples)
    for group in ("v1_en", "en_v2_beta", "ja_v4_gamma"):
        assert f"| {group} |" in text


def test_macro_f1_of_a_group_counts_only_the_labels_it_has():
    # GIVEN a held-out file with no community row, all predicted right but one stance called community
    truth = ["customer_service", "customer_service", "stance", "stance"]
    predicted = ["customer_service", "customer_service", "stance", "community"]

    # WHEN it is scored
    macro, accuracy = cross_writer.scores(truth, predicted)

    # THEN community, absent from the truth, is not averaged in as a zero (the stance row it took still costs
    # stance its recall)
    assert accuracy == 0.75
    assert abs(macro - (1.0 + 2 / 3) / 2) < 1e-9
