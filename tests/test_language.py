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


def test_count_han_is_the_character_class_it_replaced():
    import re

    from chalicelib.language import count_han

    han = re.compile(r"[\u4e00-\u9fff]")
    text = "".join(chr(c) for c in range(0x3000, 0xA100)) + "abc 漢字 😀 \U00020000"
    assert count_han(text) == len(han.findall(text)) == 0x9FFF - 0x4E00 + 1 + 2
    for code in (0x4DFF, 0x4E00, 0x9FFF, 0xA000):
        assert count_han(chr(code)) == len(han.findall(chr(code)))
