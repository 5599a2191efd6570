"""Telegram's HTML parse mode, re-implemented so the emulator rejects what Telegram rejects.

Why: a bot that forgets ``html.escape`` on user text works in every unit test and fails in
production with ``Bad Request: can't parse entities``. The emulator runs this parser on every
``parse_mode=HTML`` text or caption, so the same mistake fails in our tests.

Behaviour follows Telegram's server parser (tdlib ``parse_html``), written anew:

* supported tags: b strong i em u ins s strike del code pre a(href) tg-spoiler
  span(class="tg-spoiler") blockquote tg-emoji(emoji-id); tag names are case-insensitive;
  unknown attributes are ignored;
* character references ``&lt; &gt; &amp; &quot;`` and numeric ``&#NN; &#xHH;`` are decoded;
* errors use Telegram's words, e.g. ``Unsupported start tag "x" at byte offset 3``,
  ``Can't find end tag corresponding to start tag b``.

One deliberate difference: Telegram keeps a bare ``&`` that starts no known reference as a
literal ``&``. With ``strict_ampersand=True`` (the emulator's default) it is an error instead,
because it always means the bot skipped escaping. Entity offsets and lengths are in UTF-16
code units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}

_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\r\n\v\f"
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(error)`` is Telegram's own wording."""


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    text_start: int


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of every Bot API entity offset."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_reference(source: str, start: int) -> tuple[str, int] | None:
    """Decode the character reference at ``source[start] == '&'``; None when it is none."""
    end = start + 1
    if source.startswith("#", end):
        end += 1
        hexadecimal = source.startswith(("x", "X"), end)
        if hexadecimal:
            end += 1
        digits_start = end
        allowed = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < len(source) and source[end] in allowed:
            end += 1
        digits = source[digits_start:end]
        code = int(digits, 16 if hexadecimal else 10) if digits else 0
        if code == 0 or code >= 0x10FFFF or end - start >= 10 or 0xD800 <= code <= 0xDFFF:
            return None
        decoded = chr(code)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        decoded_or_none = _NAMED_REFERENCES.get(source[start + 1 : end])
        if decoded_or_none is None:
            return None
        decoded = decoded_or_none
    if source.startswith(";", end):
        end += 1
    return decoded, end


def _parse_attribute_value(source: str, i: int) -> tuple[str, int]:
    """Read a quoted string or a bare name token starting at ``i``; returns (value, next i)."""
    if source[i] in "'\"":
        quote = source[i]
        i += 1
        value: list[str] = []
        while i < len(source) and source[i] != quote:
            if source[i] == "&":
                reference = _decode_reference(source, i)
                if reference is not None:
                    value.append(reference[0])
                    i = reference[1]
                    continue
            value.append(source[i])
            i += 1
        if i < len(source):
            i += 1
        return "".join(value), i
    token = _NAME_TOKEN.match(source, i)
    assert token is not None  # the pattern matches the empty string
    end = token.end()
    if end < len(source) and source[end] not in _SPACE and source[end] != ">":
        raise EntityParseError(f"Unexpected end of name token at byte offset {_byte_offset(source, i)}")
    return token.group().lower(), end


def _parse_start_tag(source: str, begin: int) -> tuple[str, str, int]:
    """Parse ``<tag attr=...>`` at ``begin``; returns (tag, argument, index after '>')."""
    i = begin + 1
    while i < len(source) and source[i] not in _SPACE and source[i] != ">":
        i += 1
    offset = _byte_offset(source, begin)
    if i >= len(source):
        raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
    tag = source[begin + 1 : i].lower()
    if tag not in SUPPORTED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {offset}')
    argument = ""
    while True:
        while i < len(source) and source[i] in _SPACE:
            i += 1
        if i >= len(source):
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        if source[i] == ">":
            break
        name_start = i
        while i < len(source) and source[i] not in _SPACE and source[i] not in "=>":
            i += 1
        attribute = source[name_start:i]
        if not attribute:
            raise EntityParseError(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
        while i < len(source) and source[i] in _SPACE:
            i += 1
        if i >= len(source) or source[i] != "=":
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {offset}'
            )
        i += 1
        while i < len(source) and source[i] in _SPACE:
            i += 1
        if i >= len(source):
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {offset}')
        value, i = _parse_attribute_value(source, i)
        if i >= len(source):
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        if tag == "a" and attribute == "href":
            argument = value
        elif tag == "code" and attribute == "class" and value.startswith("language-"):
            argument = value.removeprefix("language-")
        elif tag == "span" and attribute == "class" and value.startswith("tg-"):
            argument = value.removeprefix("tg-")
        elif tag == "tg-emoji" and attribute == "emoji-id":
            argument = value
    if tag == "span" and argument != "spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    return tag, argument, i + 1


def _closed_entity(
    opened: _OpenTag, length: int, text: str, entities: list[dict[str, object]]
) -> dict[str, object] | None:
    """Turn a closed tag into its Bot API entity dict (None when the link is dropped)."""
    base: dict[str, object] = {"offset": opened.utf16_start, "length": length}
    if opened.name in _SIMPLE_TAG_TYPES:
        return {"type": _SIMPLE_TAG_TYPES[opened.name], **base}
    if opened.name == "span":
        return {"type": "spoiler", **base}
    if opened.name == "tg-emoji":
        if not opened.argument.isdigit() or int(opened.argument) == 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        return {"type": "custom_emoji", **base, "custom_emoji_id": opened.argument}
    if opened.name == "a":
        url = opened.argument or text[opened.text_start :]
        if not url.strip():
            return None
        return {"type": "text_link", **base, "url": url}
    previous = entities[-1] if entities else None
    same_span = previous is not None and previous["offset"] == opened.utf16_start and previous["length"] == length
    if opened.name == "pre":
        if same_span and previous is not None and previous["type"] == "code" and previous.get("language"):
            previous["type"] = "pre"
            return None
        return {"type": "pre", **base}
    # code
    if same_span and previous is not None and previous["type"] == "pre" and opened.argument:
        previous["language"] = opened.argument
        return None
    entity: dict[str, object] = {"type": "code", **base}
    if opened.argument:
        entity["language"] = opened.argument  # dropped below unless a <pre> wraps it
    return entity


def parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, object]]]:
    """Parse Telegram HTML into (plain text, entities); raises EntityParseError."""
    text: list[str] = []
    text_len = 0  # characters in ``text`` (for <a> without href)
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, object]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "&":
            reference = _decode_reference(source, i)
            if reference is not None:
                text.append(reference[0])
                text_len += 1
                utf16 += utf16_len(reference[0])
                i = reference[1]
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Character "&" must be escaped as "&amp;" at byte offset {_byte_offset(source, i)}'
                )
        if char != "<":
            text.append(char)
            text_len += 1
            utf16 += utf16_len(char)
            i += 1
            continue
        begin = i
        if not source.startswith("/", i + 1):
            tag, argument, i = _parse_start_tag(source, begin)
            stack.append(_OpenTag(tag, argument, utf16, text_len))
            continue
        offset = _byte_offset(source, begin)
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        i = begin + 2
        while i < len(source) and source[i] not in _SPACE and source[i] != ">":
            i += 1
        end_name = source[begin + 2 : i].lower()
        while i < len(source) and source[i] in _SPACE:
            i += 1
        if i >= len(source) or source[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
        i += 1
        opened = stack.pop()
        if end_name and end_name != opened.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{opened.name}>", found "</{end_name}>"'
            )
        length = utf16 - opened.utf16_start
        if length > 0:
            entity = _closed_entity(opened, length, "".join(text), entities)
            if entity is not None:
                entities.append(entity)
    if stack:
        raise EntityParseError(f"Can't find end tag corresponding to start tag {stack[-1].name}")
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -int(e["length"])))  # type: ignore[call-overload]
    return "".join(text), entities


def strip_text(text: str, entities: list[dict[str, object]]) -> tuple[str, list[dict[str, object]]]:
    """Trim surrounding whitespace as Telegram does, shifting and clipping the entities."""
    stripped = text.strip()
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[dict[str, object]] = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead, 0)  # type: ignore[call-overload]
        end = min(int(entity["offset"]) + int(entity["length"]) - lead, limit)  # type: ignore[call-overload]
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def html_to_plain(source: str) -> str:
    """Best-effort plain text of Telegram HTML for display (never raises)."""
    try:
        return parse_html(source, strict_ampersand=False)[0]
    except EntityParseError:
        return re.sub(r"<[^>]*>", "", source)
