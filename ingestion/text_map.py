"""Where each character of a normalised page came from in the page's raw text.

The normaliser (ingestion.normalize) first folds characters (ingestion.fold: newlines, invisible
characters, NFKC), and `fold_traced` records the origin of every folded character. Every later step
changes only whitespace (spaces collapsed, lines stripped, letter-spaced words and vertical cells
rejoined, broken lines glued), except two that remove visible characters: boilerplate lines are
dropped whole, and a line ending in "hyphen-" loses that hyphen when the next line is glued to it.

So the map is exact without re-running any step: the visible (non-whitespace) characters of the
normaliser's lines are the visible folded characters, in order; those of the kept lines, less the
glued hyphens, are the visible characters of the normalised text, in order. Whitespace in the
normalised text maps to nothing (a space or line break the normaliser wrote has no box). Each
assumption is checked as the map is built; a page where one fails gets no map (None), never a
wrong one.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from ingestion.fold import Spans, fold_traced, visible_chars

logger = logging.getLogger(__name__)


_HYPHEN = ord("-")


def map_normalized(raw: str, lines: list[str], kept: list[bool], text: str) -> Spans | None:
    """Spans into `raw` for each character of `text`, the normalised page made from `raw`.

    `lines` are the page's lines as the normaliser cleaned them (before boilerplate), `kept` says
    which survived the boilerplate step.
    """
    folded, origins = fold_traced(raw)
    folded_at, folded_chars = visible_chars(folded)
    joined = "\n".join(lines)
    lines_at, lines_chars = visible_chars(joined)
    if not np.array_equal(folded_chars, lines_chars):
        logger.warning("text map: cleaned lines differ from the folded page chars=%d", len(raw))
        return None
    line_of = np.searchsorted(
        np.array([m.start() for m in re.finditer("\n", joined)], dtype=np.int64), lines_at
    )
    keep = np.array(kept, dtype=bool)[line_of] if len(line_of) else np.zeros(0, dtype=bool)
    kept_at, kept_chars = folded_at[keep], folded_chars[keep]
    text_at, text_chars = visible_chars(text)
    while len(kept_chars) > len(text_chars) or not np.array_equal(kept_chars, text_chars):
        # Where they first differ the kept lines must hold a hyphen that was removed where the line
        # was glued to the next ("hyphen-" + "ated"); anything else means the map would be wrong.
        n = min(len(kept_chars), len(text_chars))
        differ = np.nonzero(kept_chars[:n] != text_chars[:n])[0]
        first = int(differ[0]) if len(differ) else n
        if first >= len(kept_chars) or kept_chars[first] != _HYPHEN:
            logger.warning(
                "text map: normalised text differs from its lines at=%d chars=%d", first, len(text)
            )
            return None
        kept_at, kept_chars = np.delete(kept_at, first), np.delete(kept_chars, first)
    spans = np.full((len(text), 2), -1, dtype=np.int32)
    spans[text_at] = origins[kept_at]
    return spans
