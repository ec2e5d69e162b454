"""training.tools.integrate_batch: a writer's audited batch joins the corpus with only mechanical changes."""

from __future__ import annotations

import json

import pytest

from training.tools import integrate_batch


def write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def corpus_dir(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    write(data / "old.jsonl", [{"text": "The courier left my parcel in the rain and the box is soaked, order 81234.",
                                "label": "customer_service", "lang": "en"}])
    shared = tmp_path / "shared"
    (shared / "data").mkdir(parents=True)
    write(shared / "data" / "eval.jsonl", [{"id": "e1", "label": "community",
                                            "text": "Anyone else queueing for the strawberry festival at dawn?"}])
    monkeypatch.setattr(integrate_batch, "CORPUS_DIR", data)
    monkeypatch.setattr(integrate_batch, "SHARED", shared)
    return data


def test_a_batch_is_remapped_pruned_deduplicated_and_purged(tmp_path, corpus_dir):
    batch = tmp_path / "batch.jsonl"
    rows = [
        {"text": "@Netflixish the app logs me out every night", "label": "customer_service", "lang": "en"},  # remapped
        {"text": "Cowards.", "label": "stance", "lang": "en"},  # short stance naming no issue: dropped
        {"text": "The courier left my parcel in the rain and the box is soaked, order 81235!",
         "label": "customer_service", "lang": "en"},  # near-duplicate of a corpus row: dropped
        {"text": "anyone else queueing for the strawberry festival at dawn??", "label": "community",
         "lang": "en"},  # near-copy of an evaluation text: dropped
        {"text": "アプリが落ちる。再インストールしても同じ", "label": "customer_service", "lang": "ja"},
    ]
    write(batch, rows)
    counts = integrate_batch.integrate(batch, corpus_dir / "new.jsonl")
    assert counts == {"read": 5, "unnamed short stance": 1, "near-duplicates": 1, "leakage": 1, "written": 2}
    out = [json.loads(line) for line in (corpus_dir / "new.jsonl").read_text(encoding="utf-8").splitlines()]
    assert out[0]["text"].endswith(" the app logs me out every night") and "ish" not in out[0]["text"]
    assert out[1] == rows[4]


def test_a_row_with_another_schema_is_refused(tmp_path, corpus_dir):
    batch = tmp_path / "batch.jsonl"
    write(batch, [{"text": "hi", "label": "spam", "lang": "en"}])
    with pytest.raises(SystemExit, match="batch.jsonl:1"):
        integrate_batch.integrate(batch, corpus_dir / "new.jsonl")
