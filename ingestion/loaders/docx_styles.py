"""Word paragraph styles: which are headings (and of what level) and which start a new page.

Heading levels come from the style's built-in name ("heading 1"; Japanese Word keeps the English
name under a style id like "1"), "Title" (level 0), or its outline level, inherited along basedOn;
a paragraph's own outline level wins over its style's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from ingestion.loaders.ooxml import Package

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_NAME = re.compile(r"heading\s*([1-9])$", re.I)


@dataclass
class Styles:
    levels: dict[str, int] = field(default_factory=dict)  # paragraph style id -> heading level
    break_before: set[str] = field(default_factory=set)  # style ids with "page break before"


def read_styles(package: Package, main: str) -> Styles:
    names = package.related(main, "styles") or ["word/styles.xml"]
    root = package.xml(names[0])
    styles = Styles()
    if root is None:
        return styles
    own: dict[str, tuple[int | None, bool | None, str | None]] = {}
    for style in root.iter(W + "style"):
        if style.get(W + "type") != "paragraph":
            continue
        sid = style.get(W + "styleId", "")
        name = _val(style.find(W + "name")) or ""
        ppr = style.find(W + "pPr")
        level = _direct_level(ppr)
        heading = _HEADING_NAME.match(name.strip())
        if name.strip().lower() == "title":
            level = 0
        elif heading:
            level = int(heading.group(1))
        based = _val(style.find(W + "basedOn"))
        own[sid] = (level, _on_off(ppr.find(W + "pageBreakBefore")) if ppr is not None else None, based)
    for sid in own:
        level, brk, seen = None, None, set()
        cur: str | None = sid
        while cur in own and cur not in seen:  # inherit along basedOn, nearest definition wins
            seen.add(cur)
            own_level, own_break, based = own[cur]
            level = own_level if level is None else level
            brk = own_break if brk is None else brk
            cur = based
        if level is not None:
            styles.levels[sid] = level
        if brk:
            styles.break_before.add(sid)
    return styles


def heading_level(ppr: Element | None, styles: Styles) -> int | None:
    if ppr is None:
        return None
    direct = _direct_level(ppr)
    if direct is not None:
        return direct
    return styles.levels.get(_val(ppr.find(W + "pStyle")) or "")


def _direct_level(ppr: Element | None) -> int | None:
    node = ppr.find(W + "outlineLvl") if ppr is not None else None
    value = _val(node)
    if value is None or not value.isdigit() or int(value) >= 9:  # 9 means "body text"
        return None
    return int(value) + 1


def breaks_before(ppr: Element | None, styles: Styles) -> bool:
    if ppr is None:
        return False
    direct = _on_off(ppr.find(W + "pageBreakBefore"))
    if direct is not None:
        return direct
    return (_val(ppr.find(W + "pStyle")) or "") in styles.break_before


def _val(node: Element | None) -> str | None:
    return node.get(W + "val") if node is not None else None


def _on_off(node: Element | None) -> bool | None:
    """A WordprocessingML on/off property: present means on unless its val says otherwise."""
    if node is None:
        return None
    return node.get(W + "val", "true").lower() not in ("0", "false", "off")
