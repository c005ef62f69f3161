"""Each platform's Markdown and message body, and how big a message is by its platform's rule.
Pure.

- 钉钉: ``msgtype: markdown`` with ``title`` (the notification's text) and ``text``; headings,
  bold and lists render, colours are not documented, so urgency is said in words.
- 企业微信: ``msgtype: markdown`` with ``content``; headings, bold, quotes and the three
  colours ``info`` / ``comment`` / ``warning`` render (``<font color="warning">``).
- 飞书: an interactive card (``msg_type: interactive``): the title in the card's coloured
  header, the text in one ``markdown`` element, which renders bold, lists and
  ``<font color='red'>``. A plain ``text`` or ``post`` message would show the Markdown as typed.

``measure`` gives what each platform limits: the bytes of 钉钉's ``text`` and 企业微信's
``content`` in UTF-8, the bytes of 飞书's whole request body (with its signature fields).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from certcheck.notify.document import Tone
from certcheck.notify.platforms import Platform

_WECOM_COLOUR = {Tone.DANGER: "warning", Tone.WARNING: "warning", Tone.NOTICE: "comment",
                 Tone.INFO: "comment"}
_FEISHU_COLOUR = {Tone.DANGER: "red", Tone.WARNING: "orange", Tone.NOTICE: "blue",
                  Tone.INFO: "grey"}
_FEISHU_HEADER = {Tone.DANGER: "red", Tone.WARNING: "orange", Tone.NOTICE: "blue",
                  Tone.INFO: "blue"}
#: What 飞书's signature adds to a body at most: ``"timestamp": "…"`` (10 digits, until the
#: year 2286) and ``"sign": "…"`` (44 characters of base64), with their separators.
_FEISHU_SIGNATURE = len('"timestamp": "0000000000", "sign": "' + "A" * 44 + '", ')


@dataclass(frozen=True, slots=True)
class Style:
    """The pieces of one platform's message text; each piece ends with its own line break, so
    that a message is their concatenation and its size the sum of theirs."""

    platform: Platform

    def heading(self, title: str, numbering: str) -> str:
        if self.platform is Platform.DINGTALK:
            return f"### {title}{numbering}\n\n"
        if self.platform is Platform.WECOM:
            return f"## {title}{numbering}\n"
        return ""  # 飞书: the title is the card's header

    def intro(self, line: str) -> str:
        if self.platform is Platform.DINGTALK:
            return f"{line}\n\n"
        if self.platform is Platform.WECOM:
            return f"> {line}\n"
        return f"{line}\n"

    def section(self, heading: str, tone: Tone) -> str:
        if self.platform is Platform.WECOM:
            return f'\n**<font color="{_WECOM_COLOUR[tone]}">{heading}</font>**\n'
        if self.platform is Platform.FEISHU:
            return f"\n**<font color='{_FEISHU_COLOUR[tone]}'>{heading}</font>**\n"
        return f"\n**{heading}**\n\n"

    def entry(self, text: str) -> str:
        return f"- {text}\n"

    def footer(self, line: str) -> str:
        if self.platform is Platform.WECOM:
            return f'\n<font color="comment">{line}</font>\n'
        if self.platform is Platform.FEISHU:
            return f"\n<font color='grey'>{line}</font>\n"
        return f"\n{line}\n"

    def cost(self, piece: str) -> int:
        """What ``piece`` adds to a message's size by the platform's rule."""
        if self.platform is Platform.FEISHU:
            # Inside the JSON body: a quote, a backslash, a line break take two bytes.
            return len(json.dumps(piece, ensure_ascii=False).encode("utf-8")) - 2
        return len(piece.encode("utf-8"))

    def envelope(self, title: str, tone: Tone) -> int:
        """What a message with this title weighs besides its text (飞书's body and signature;
        nothing for the others, whose limits count the text alone)."""
        if self.platform is not Platform.FEISHU:
            return 0
        return (len(body_bytes(payload(self.platform, title, "", tone)))
                + signature_room(self.platform))


def signature_room(platform: Platform) -> int:
    """What signing may add to what ``measure`` counts: 飞书's fields in the body (钉钉 signs
    in the address, which its limit does not count)."""
    return _FEISHU_SIGNATURE if platform is Platform.FEISHU else 0


def payload(platform: Platform, title: str, text: str, tone: Tone) -> dict[str, object]:
    """The JSON body of one message (unsigned)."""
    if platform is Platform.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if platform is Platform.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"template": _FEISHU_HEADER[tone],
                       "title": {"tag": "plain_text", "content": title}},
            "elements": [{"tag": "markdown", "content": text}],
        },
    }


def body_bytes(body: dict[str, object]) -> bytes:
    """A body as sent: UTF-8 JSON, Chinese as is (what the platforms measure)."""
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def measure(platform: Platform, body: dict[str, object]) -> int:
    """A message's size by its platform's rule, from its (possibly signed) body."""
    if platform is Platform.FEISHU:
        return len(body_bytes(body))
    markdown = body["markdown"]
    assert isinstance(markdown, dict)
    text = markdown["text" if platform is Platform.DINGTALK else "content"]
    return len(str(text).encode("utf-8"))


def text_of(platform: Platform, body: dict[str, object]) -> str:
    """The Markdown a body carries (for ``--dry-run`` and the pictures)."""
    if platform is Platform.FEISHU:
        card = body["card"]
        assert isinstance(card, dict)
        elements: Sequence[dict[str, str]] = card["elements"]
        return elements[0]["content"]
    markdown = body["markdown"]
    assert isinstance(markdown, dict)
    return str(markdown["text" if platform is Platform.DINGTALK else "content"])
