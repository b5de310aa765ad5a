"""HTML files: visible text only, never markup.

BeautifulSoup with the stdlib `html.parser` (no lxml, nothing executed). Scripts, styles,
navigation and other invisible or chrome elements are dropped; block elements become line breaks
so that paragraphs, list items and table rows stay on their own lines for the chunker.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from ingestion.loaders.base import RawDocument, RawPage
from ingestion.loaders.sniff import HTML, decode_text

logger = logging.getLogger(__name__)

_DROP = (
    "script",
    "style",
    "nav",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "head",
    "button",
    "select",
)
_BLOCKS = frozenset(
    "address article aside blockquote body caption dd div dl dt fieldset figcaption figure footer "
    "h1 h2 h3 h4 h5 h6 header hr html li main ol p pre section table tbody thead tfoot tr ul "
    "details summary".split()
)
_CELLS = frozenset(("td", "th"))
_WS = re.compile(r"[ \t\r\n\f\v]+")
# Block edges are marked while walking and resolved afterwards, so nested blocks (<li> in <ul> in
# <div>) give one line break, not one per element: _LINE for any block, _PARA for a paragraph gap.
_LINE, _PARA = "\x1e", "\x1d"
_BREAKS = re.compile(f"[ \\t]*[{_LINE}{_PARA}][{_LINE}{_PARA} \\t\\n]*")


def read_html(path: Path) -> RawDocument:
    text, encoding = decode_text(path.read_bytes())
    logger.debug("html file path=%s encoding=%s", path.name, encoding)
    body, title = html_to_text(text)
    return RawDocument(mime=HTML, page_count=1, pages=[RawPage(number=1, text=body)], title=title)


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Visible text of an HTML document and its <title> (or first <h1>)."""
    soup = BeautifulSoup(markup, "html.parser")
    title = _title(soup)
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(_DROP):
        tag.decompose()
    parts: list[str] = []
    _walk(soup, parts, preformatted=False)
    text = _BREAKS.sub(lambda m: "\n\n" if _PARA in m.group(0) else "\n", "".join(parts))
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), title


def _title(soup: BeautifulSoup) -> str | None:
    for tag in (soup.title, soup.find("h1")):
        if tag is not None:
            title = _WS.sub(" ", tag.get_text()).strip()
            if title:
                return title
    return None


def _walk(node: Tag, parts: list[str], *, preformatted: bool) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not Comment, Doctype, processing instructions
                parts.append(str(child) if preformatted else _WS.sub(" ", str(child)))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name == "br":
            parts.append("\n")
            continue
        block = name in _BLOCKS
        if block:
            parts.append(_LINE)
        _walk(child, parts, preformatted=preformatted or name == "pre")
        if name in _CELLS:
            parts.append(" ")
        if block:
            parts.append(
                _PARA if name in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "pre") else _LINE
            )
