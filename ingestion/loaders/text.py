"""Plain-text and Markdown files.

A form feed (\\f) separates pages, as in `pdftotext` output and old print files; otherwise a text
file is one page. Markdown stays text: we strip the markup a reader doesn't see (heading #s,
emphasis markers, link targets, HTML tags) and keep what they do, including code inside fences.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ingestion.loaders.base import RawDocument, RawPage
from ingestion.loaders.sniff import MARKDOWN, PLAIN, decode_text

logger = logging.getLogger(__name__)

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RULE = re.compile(r"^\s{0,3}(?:={3,}|-{3,})[ \t]*$")
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$")
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--.*?-->")
_EMPHASIS = re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\*)")
_UNDERSCORE_EM = re.compile(r"(?<![\w])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w])")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_BLOCKQUOTE = re.compile(r"^\s{0,3}>[ \t]?")


def read_text(path: Path, mime: str = PLAIN) -> RawDocument:
    text, encoding = decode_text(path.read_bytes())
    logger.debug("text file path=%s encoding=%s mime=%s", path.name, encoding, mime)
    title = None
    if mime == MARKDOWN:
        text, title = strip_markdown(text)
    chunks = text.split("\f")
    pages = [RawPage(number=i + 1, text=chunk) for i, chunk in enumerate(chunks)]
    return RawDocument(mime=mime, page_count=len(pages), pages=pages, title=title)


def strip_markdown(text: str) -> tuple[str, str | None]:
    """Markdown to readable text; returns (text, first heading or None)."""
    out: list[str] = []
    title: str | None = None
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue  # the fence markers themselves carry no text
        if in_fence:
            out.append(line)
            continue
        if _TABLE_RULE.match(line) or _LINK_DEF.match(line):
            continue
        if _SETEXT_RULE.match(line) and out and out[-1].strip():
            if sum(1 for o in out if o.strip()) <= 2:  # a setext title only counts at the very top
                title = title or out[-1].strip()
            continue
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(2)
            title = title or _inline(line).strip()
        out.append(_inline(_BLOCKQUOTE.sub("", line)))
    return "\n".join(out), title or None


def _inline(line: str) -> str:
    # Pull inline code out first so markup-like text inside it survives untouched.
    codes: list[str] = []

    def stash(m: re.Match[str]) -> str:
        codes.append(m.group(1))
        return f"\x00{len(codes) - 1}\x00"

    line = _INLINE_CODE.sub(stash, line)
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    line = _REF_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _HTML_TAG.sub("", line)
    line = _EMPHASIS.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(3), line)
    line = _UNDERSCORE_EM.sub(r"\1", line)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], line)
