"""Cheap language detection for the canonical message: ja / en / other."""

import pytest

from chalicelib.language import detect_language


@pytest.mark.parametrize("text,expected", [
    ("注文した商品がまだ届きません", "ja"),
    ("アプリが落ちる", "ja"),
    ("返金", "ja"),  # kanji only
    ("@AskAcme order #5521 まだshippedにならない", "ja"),  # mixed: Japanese wins
    ("Where is my refund? It has been two weeks.", "en"),
    ("dm'd you", "en"),
    ("¿Dónde está mi pedido? Llevo dos semanas esperando respuesta", "other"),
    ("Ich warte seit zwei Wochen auf meine Bestellung und niemand antwortet", "other"),
    ("😡😡😡", "other"),
    ("https://t.co/abc @brand", "other"),
])
def test_detect_language(text, expected):
    assert detect_language(text) == expected
