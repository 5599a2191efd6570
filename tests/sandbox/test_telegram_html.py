"""The HTML parse mode parser: what Telegram accepts, what it refuses, and the entity offsets."""

from __future__ import annotations

import pytest

from sandbox.telegram_html import EntityParseError, html_to_plain, parse_html, strip_text


def test_pre_with_code_language_becomes_one_pre_entity() -> None:
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert text == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


def test_code_alone_drops_its_language() -> None:
    assert parse_html('<code class="language-sql">select</code>')[1] == [{"type": "code", "offset": 0, "length": 6}]


def test_references_decode_and_unknown_attributes_are_ignored() -> None:
    text, entities = parse_html('<b data-x="1">&#x1F600;&#26032;&quot;&lt;</b>')
    assert text == '😀新"<'
    assert entities == [{"type": "bold", "offset": 0, "length": 5}]  # the emoji counts 2 UTF-16 units


def test_nested_tags_and_empty_end_tag() -> None:
    text, entities = parse_html("<b>粗<i>斜</></b>")
    assert text == "粗斜"
    assert entities == [{"type": "bold", "offset": 0, "length": 2}, {"type": "italic", "offset": 1, "length": 1}]


def test_link_without_href_uses_its_text() -> None:
    assert parse_html("<a>https://example.org</a>")[1][0]["url"] == "https://example.org"


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("a <x> b", 'Unsupported start tag "x" at byte offset 2'),
        ("执法 <b", "Unclosed start tag at byte offset 7"),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", "Can't find end tag corresponding to start tag b"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="abc">😀</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("<a href>x</a>", 'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0'),
    ],
)
def test_errors_use_telegrams_words(html: str, message: str) -> None:
    with pytest.raises(EntityParseError) as error:
        parse_html(html)
    assert str(error.value) == message


def test_bare_ampersand_is_strict_by_default_and_literal_like_telegram_when_relaxed() -> None:
    with pytest.raises(EntityParseError, match="byte offset 2"):
        parse_html("AT&T")
    assert parse_html("AT&T &unknown;", strict_ampersand=False)[0] == "AT&T &unknown;"


def test_strip_shifts_and_clips_entities() -> None:
    text, entities = parse_html("  <b> 粗 </b>  ")
    assert strip_text(text, entities) == ("粗", [{"type": "bold", "offset": 0, "length": 1}])


def test_html_to_plain_never_raises() -> None:
    assert html_to_plain("<b>好</b> & <坏>") == "好 & "
