"""training.augment: label-free surface variants of Japanese rows, the same share of every label, made from a
row's text alone (so a fold's variants are exactly the variants of its rows)."""

from __future__ import annotations

from collections import Counter

from chalicelib.classifier.features import normalize
from training import augment
from training.corpus import Example, load_corpus

NOISE = (*augment.HASHTAGS, *augment.LAUGHTER, *augment.EMOJI, *augment.KAOMOJI, *augment.EXCLAMATIONS)


def japanese_rows(n: int) -> list[Example]:
    labels = ("customer_service", "stance", "community")
    return [Example(f"投稿{i:04d}、{labels[i % 3]}について", labels[i % 3], "ja") for i in range(n)]


def test_only_japanese_rows_get_variants_and_each_keeps_its_row_and_label():
    # GIVEN Japanese rows and English rows
    english = [Example(f"english row number {i}", "stance", "en") for i in range(300)]
    rows = japanese_rows(600) + english

    # WHEN variants are made
    variants = augment.surface_variants(rows)

    # THEN each is a Japanese row's text with noise around it, labelled as that row; none comes from English
    by_text = {r.text: r for r in rows}
    assert variants and all(v.lang == "ja" for v in variants)
    for variant in variants:
        source = [r for t, r in by_text.items() if t in variant.text]
        assert len(source) == 1 and source[0].label == variant.label, variant
        rest = variant.text.replace(source[0].text, "", 1).strip()
        assert rest and (rest.startswith("http") or any(piece in rest for piece in NOISE)), rest


def test_every_label_gets_about_the_same_share():
    # GIVEN the committed corpus
    rows = load_corpus()
    japanese = Counter(r.label for r in rows if r.lang == "ja")

    # WHEN variants are made
    made = Counter(v.label for v in augment.surface_variants(rows))

    # THEN each label's share is the configured one, within sampling noise (a few hundred rows each)
    for label, count in japanese.items():
        assert abs(made[label] / count - augment.SHARE) < 0.03, (label, made[label], count)


def test_a_row_gets_the_same_variant_whatever_rows_surround_it():
    # GIVEN rows, and a subset of them (a cross-validation fold's training rows)
    rows = japanese_rows(900)
    subset = rows[::2]

    # WHEN variants are made of both
    everything, fold = augment.surface_variants(rows), augment.surface_variants(subset)

    # THEN the subset's variants are exactly those of its rows: no held-out row leaks in through a copy
    subset_texts = {r.text for r in subset}
    assert fold == [v for v in everything if any(t in v.text for t in subset_texts)]
    assert augment.surface_variants(rows, seed=1) != everything  # the seed, not the order, picks them


def test_variants_are_noise_the_features_still_see():
    # GIVEN one row and its variant
    rows = japanese_rows(300)
    variant = augment.surface_variants(rows)[0]
    source = next(r for r in rows if r.text in variant.text)

    # THEN normalizing does not erase the difference (links fold to one marker, but the marker is a feature)
    assert normalize(variant.text) != normalize(source.text)


def test_with_surface_variants_puts_the_rows_first_and_share_zero_adds_nothing():
    rows = japanese_rows(300)
    assert augment.with_surface_variants(rows)[:300] == rows
    assert len(augment.with_surface_variants(rows)) > 300
    assert augment.with_surface_variants(rows, share=0) == rows
