"""A :class:`~conversations.record.Record` as Markdown, HTML or PDF.

Every text in a record may come from a person (a title, an answer, a
rationale), so each format escapes all of it: Markdown punctuation is
backslashed (no link, image or raw HTML can be smuggled in), HTML goes
through :func:`html.escape`. Markdown shows a chart as a line of bars and its
text alternative; HTML and PDF show the picture.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence

from conversations.i18n import translator
from conversations.record import Chart, Facts, Heading, Paragraph, Record, Table

FORMATS = ("md", "html", "pdf")
MEDIA_TYPES = {"md": "text/markdown", "html": "text/html", "pdf": "application/pdf"}

# Inline markup (emphasis, code, links, images, raw HTML, tables, entities);
# a "(" only makes a link after "]", which is escaped.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
# What makes a heading, list, quote or rule at the start of a line.
_MARKDOWN_LEADING = re.compile(
    r"^(\s*)([#+=-])(?=[\s#+=-]|$)|^(\s*\d+)([.)])(?=\s|$)", re.MULTILINE
)
_BARS = "▁▂▃▄▅▆▇█"


def render(record: Record, form: str) -> bytes:
    if form == "md":
        return markdown(record).encode("utf-8")
    if form == "html":
        return html_document(record).encode("utf-8")
    if form == "pdf":
        from conversations.record_pdf import pdf

        return pdf(record)
    raise ValueError(f"unknown record format {form!r}")


# -- Markdown --------------------------------------------------------------------


def md_text(text: str) -> str:
    """Plain text that Markdown shows as written: every sign that could make
    markup backslashed."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _MARKDOWN_LEADING.sub(lambda m: f"{m[1] or m[3] or ''}\\{m[2] or m[4]}", escaped)


def _md_cell(text: str) -> str:
    return "<br>".join(md_text(line) for line in text.splitlines()) or " "


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(_BARS[round((v - low) / span * (len(_BARS) - 1))] for v in values)


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(_md_cell(h) for h in headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    lines.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)
    return lines


def markdown(record: Record) -> str:
    lines = [f"# {md_text(record.title)}", "", md_text(record.made_line), ""]
    for block in record.blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + md_text(block.text), ""]
        elif isinstance(block, Paragraph):
            lines += [md_text(block.text), ""]
        elif isinstance(block, Facts):
            lines += [*_md_table(("", ""), block.rows), ""]
        elif isinstance(block, Table):
            lines += [*_md_table(block.headers, block.rows), ""]
        elif isinstance(block, Chart):
            lines += [f"`{sparkline(block.values)}` {md_text(block.alt)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# -- HTML ------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1a202c; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #cbd5e0; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #edf2f7; }
.made { color: #4a5568; }
img { max-width: 100%; }
""".strip()


def _h(text: str) -> str:
    return "<br>".join(html.escape(line, quote=True) for line in text.splitlines())


def _html_table(headers: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["<table>"]
    if headers:
        out.append("<tr>" + "".join(f"<th>{_h(h)}</th>" for h in headers) + "</tr>")
    out.extend("<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in rows)
    out.append("</table>")
    return out


def html_document(record: Record) -> str:
    lang = html.escape(record.language, quote=True)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        '<head><meta charset="utf-8">',
        f"<title>{_h(record.title)}</title>",
        f"<style>{_STYLE}</style></head>",
        "<body>",
        f"<h1>{_h(record.title)}</h1>",
        f'<p class="made">{_h(record.made_line)}</p>',
    ]
    for block in record.blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{_h(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{_h(block.text)}</p>")
        elif isinstance(block, Facts):
            out += _html_table(None, block.rows)
        elif isinstance(block, Table):
            out += _html_table(block.headers, block.rows)
        elif isinstance(block, Chart):
            encoded = base64.b64encode(block.png(translator(record.language))).decode("ascii")
            out.append(
                f'<p><img src="data:image/png;base64,{encoded}" alt="{html.escape(block.alt, quote=True)}"></p>'
            )
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
