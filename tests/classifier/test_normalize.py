from __future__ import annotations

import pytest

from classifier.normalize import MAX_OUTPUT_CHARS, fix_lookalikes, normalize_text, strip_markup


def test_html_tags_and_entities_are_stripped():
    assert normalize_text("<p>Нет <b>воды</b>&nbsp;на&nbsp;Кирова &amp; Ленина</p>") == "Нет воды на Кирова & Ленина"


def test_script_and_style_content_is_dropped():
    text = "До<script>alert('x')</script> после<style>p{color:red}</style>!"
    assert normalize_text(text) == "До после !"


def test_escaped_markup_stays_text_and_is_not_evaluated():
    assert normalize_text("&lt;b&gt;жирный&lt;/b&gt;") == "<b>жирный</b>"


def test_bbcode_vk_mentions_and_markdown_links_keep_visible_text():
    text = "[b]Срочно[/b] [url=http://x.ru]тут[/url] [id123|Иван Петров], [фото](https://vk.com/p1) **важно**"
    assert normalize_text(text) == "Срочно тут Иван Петров, фото важно"


def test_zero_width_and_soft_hyphen_are_removed():
    assert normalize_text("Ново\u200bкуз\u00adнецк\ufeff") == "Новокузнецк"


def test_nfkc_folds_compatibility_forms():
    assert normalize_text("ＫＥＭ №１ ﬁ") == "KEM №1 fi"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Нoвокузнецк", "Новокузнецк"),  # Latin o
        ("КEMEPOBO Кемерово", "КЕМЕРОВО Кемерово"),
        ("хyйня", "хуйня"),
        ("Hello мир", "Hello мир"),  # a pure Latin word is left alone
        ("Прокопьевск cтоит", "Прокопьевск стоит"),
    ],
)
def test_lookalike_letters_inside_cyrillic_words_become_cyrillic(raw, expected):
    assert fix_lookalikes(raw) == expected


def test_greek_lookalikes_inside_cyrillic_word():
    assert normalize_text("Κемерοво") == "Кемерово"


def test_whitespace_folded():
    assert normalize_text("  нет\n\n\tсвета   в  доме \r\n") == "нет света в доме"


def test_output_is_bounded_and_huge_input_is_fast_to_reject():
    out = normalize_text("а" * 1_000_000)
    assert len(out) == MAX_OUTPUT_CHARS


def test_unclosed_tags_do_not_swallow_text():
    assert normalize_text("нет воды < 3 дней, а > 2") == "нет воды < 3 дней, а > 2"


def test_non_string_input_is_a_clear_error():
    with pytest.raises(TypeError, match="expects str"):
        normalize_text(None)  # type: ignore[arg-type]


def test_strip_markup_keeps_plain_text_unchanged():
    assert strip_markup("обычный текст без разметки") == "обычный текст без разметки"


def test_model_text_reuses_the_pipelines_normalisation_exactly() -> None:
    """The pipeline hands the model its normalize_text result; the model's view must not change."""
    from classifier.text import MODEL_TEXT_CHARS, model_text

    samples = [
        "Кемерово, ул. Весенняя: нет <b>горячей</b> воды, &lt;УК&gt; молчит №5 Ёлки",
        "Новокузнецк\u200b — ПРОКОПЬЕВСК  \n\n яма\u00ad на дороге ﬁ ＡＢＣ",
        "Белово " + "ё" * (MODEL_TEXT_CHARS + 500),
        "Юрга " * (MODEL_TEXT_CHARS // 4),  # raw text just under the model's raw bound
        "Топки " * (MODEL_TEXT_CHARS // 2),  # over it: the model normalises its own prefix
        "ﷺ" * (MODEL_TEXT_CHARS * 2),  # NFKC expands each character
        "",
    ]
    for text in samples:
        assert model_text(text, normalize_text(text)) == model_text(text)
