"""Make the pictures of the group-robot reminders in docs/img/, so that the user guide shows
what ``due --notify`` posts on each platform.

    .venv/bin/python docs/make_notify_pictures.py

It builds the messages for a sample register exactly as ``due --notify`` does (the same
functions, no robot is contacted), renders each platform's Markdown to HTML styled like that
platform's chat window (a picture of how it reads, not a screenshot of the app), and takes a
picture with headless Chromium; the white margin is trimmed with Pillow.
Needs: chromium, fonts-noto-cjk.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from make_pictures import IMAGES, SAMPLES, trimmed
from PIL import Image

from certcheck.due import dates_from_register, due_within
from certcheck.notify.due_message import due_document
from certcheck.notify.platforms import Platform
from certcheck.notify.split import split
from certcheck.register.reader import read_register

REGISTER = SAMPLES / "registers" / "德感机械-自查.register.xlsx"
AS_OF = date(2026, 12, 1)
WITHIN = 60
FONT = "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"

#: How each client shows the Markdown's colours.
COLOURS = {
    Platform.WECOM: {"warning": "#f5762d", "comment": "#999999", "info": "#35b34a"},
    Platform.FEISHU: {"red": "#f54a45", "orange": "#ff8800", "blue": "#3370ff",
                      "grey": "#8f959e"},
    Platform.DINGTALK: {},
}
FEISHU_HEADER = {"red": "#f54a45", "orange": "#ff8800", "blue": "#3370ff"}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #fff; font-family: {font}; }}
.chat {{ width: 560px; padding: 18px 16px 22px; background: {chat}; }}
.who {{ display: flex; gap: 10px; align-items: flex-start; }}
.avatar {{ width: 38px; height: 38px; border-radius: {radius}; background: {avatar};
          color: #fff; font-size: 15px; line-height: 38px; text-align: center; flex: none; }}
.name {{ font-size: 12px; color: #8f959e; margin: 0 0 5px 2px; }}
.bubble {{ background: #fff; border-radius: 8px; padding: 12px 16px; font-size: 14px;
          line-height: 1.65; color: #1f2329; width: 470px; box-sizing: border-box;
          {bubble} }}
.bubble h2 {{ font-size: 18px; margin: 0 0 6px; }}
.bubble h3 {{ font-size: 16px; margin: 0 0 8px; }}
.bubble p {{ margin: 0 0 8px; }}
.bubble ul {{ margin: 0 0 8px; padding-left: 18px; }}
.bubble li {{ margin: 2px 0; }}
.bubble .quote {{ border-left: 3px solid #d6d6d6; padding-left: 8px; color: #646a73;
                 margin: 2px 0; }}
.card {{ padding: 0; overflow: hidden; }}
.card .head {{ background: {header}; color: #fff; font-weight: bold; font-size: 16px;
              padding: 11px 16px; }}
.card .body {{ padding: 12px 16px; }}
</style></head><body><div class="chat"><div class="who"><div class="avatar">{mark}</div>
<div><div class="name">{name}</div>{content}</div></div></div></body></html>"""

LOOK = {
    Platform.DINGTALK: {"chat": "#f2f3f5", "avatar": "#3296fa", "radius": "10px",
                        "bubble": "", "mark": "钉", "name": "到期提醒（群机器人）"},
    Platform.WECOM: {"chat": "#f3f3f3", "avatar": "#2b7cf6", "radius": "4px",
                     "bubble": "border-radius: 4px;", "mark": "企", "name": "到期提醒 机器人"},
    Platform.FEISHU: {"chat": "#f5f6f7", "avatar": "#00d6b9", "radius": "50%",
                      "bubble": "", "mark": "飞", "name": "到期提醒 机器人"},
}


def inline(text: str, platform: Platform) -> str:
    """One line's inline Markdown as HTML: bold and the platform's colour tags."""
    out = html.escape(text, quote=True)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    colours = COLOURS[platform]

    def colour(match: re.Match[str]) -> str:
        return f'<span style="color:{colours.get(match.group(2), "inherit")}">'

    out = re.sub(r"&lt;font color=(&quot;|&#x27;)(\w+)\1&gt;", colour, out)
    return out.replace("&lt;/font&gt;", "</span>")


def to_html(markdown: str, platform: Platform) -> str:
    """The block Markdown certcheck's messages use: headings, quotes, lists, paragraphs."""
    parts: list[str] = []
    in_list = False
    for line in markdown.split("\n"):
        if line.startswith("- "):
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{inline(line[2:], platform)}</li>")
            continue
        if in_list:
            parts.append("</ul>")
            in_list = False
        if not line.strip():
            continue
        if line.startswith("### "):
            parts.append(f"<h3>{inline(line[4:], platform)}</h3>")
        elif line.startswith("## "):
            parts.append(f"<h2>{inline(line[3:], platform)}</h2>")
        elif line.startswith("> "):
            parts.append(f'<div class="quote">{inline(line[2:], platform)}</div>')
        else:
            parts.append(f"<p>{inline(line, platform)}</p>")
    if in_list:
        parts.append("</ul>")
    return "\n".join(parts)


def page(platform: Platform, title: str, markdown: str, tone_colour: str) -> str:
    body = to_html(markdown, platform)
    if platform is Platform.FEISHU:
        content = (f'<div class="bubble card"><div class="head">{html.escape(title)}</div>'
                   f'<div class="body">{body}</div></div>')
    else:
        content = f'<div class="bubble">{body}</div>'
    return PAGE.format(font=FONT, header=tone_colour, content=content, **LOOK[platform])


def shoot(chromium: str, html_file: Path, png: Path) -> None:
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--force-device-scale-factor=2",
                    "--window-size=600,1400", f"--screenshot={png}", html_file.as_uri()],
                   capture_output=True, check=True, timeout=120)


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")
    if chromium is None:
        raise SystemExit("Chromium is needed: apt-get install chromium")
    data = read_register(REGISTER)
    result = due_within(dates_from_register(data.rows), AS_OF, WITHIN)
    document = due_document(result, enterprise=data.info.enterprise, source="登记表（官方日期）")
    names = {Platform.DINGTALK: "钉钉", Platform.WECOM: "企业微信", Platform.FEISHU: "飞书"}
    with tempfile.TemporaryDirectory() as scratch:
        for platform in Platform:
            message = split(document, platform)[0]
            header = message.body.get("card", {})
            template = header.get("header", {}).get("template", "blue") \
                if isinstance(header, dict) else "blue"
            source = Path(scratch) / f"{platform.value}.html"
            source.write_text(page(platform, message.title, message.text,
                                   FEISHU_HEADER.get(template, "#3370ff")), "utf-8")
            shot = Path(scratch) / f"{platform.value}.png"
            shoot(chromium, source, shot)
            out = IMAGES / f"提醒-{names[platform]}.png"
            trimmed(Image.open(shot).convert("RGB"), margin=0).save(out, optimize=True)
            print(out.relative_to(IMAGES.parent.parent))


if __name__ == "__main__":
    main()
