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

import numpy as np

from ingestion.fold import Spans, fold_traced

logger = logging.getLogger(__name__)


def map_normalized(raw: str, lines: list[str], kept: list[bool], text: str) -> Spans | None:
    """Spans into `raw` for each character of `text`, the normalised page made from `raw`.

    `lines` are the page's lines as the normaliser cleaned them (before boilerplate), `kept` says
    which survived the boilerplate step.
    """
    folded, origins = fold_traced(raw)
    visible = [i for i, c in enumerate(folded) if not c.isspace()]
    kept_positions: list[int] = []
    taken = 0
    for line, keep in zip(lines, kept, strict=True):
        count = sum(1 for c in line if not c.isspace())
        if keep:
            kept_positions.extend(visible[taken : taken + count])
        taken += count
    line_chars = "".join(c for line in lines for c in line if not c.isspace())
    if taken != len(visible) or line_chars != "".join(folded[i] for i in visible):
        logger.warning("text map: cleaned lines differ from the folded page chars=%d", len(raw))
        return None
    spans = np.full((len(text), 2), -1, dtype=np.int32)
    q = 0
    for k, c in enumerate(text):
        if c.isspace():
            continue
        while q < len(kept_positions) and folded[kept_positions[q]] != c and folded[kept_positions[q]] == "-":
            q += 1  # a hyphen removed where the line was glued to the next ("hyphen-" + "ated")
        if q == len(kept_positions) or folded[kept_positions[q]] != c:
            logger.warning("text map: normalised text differs from its lines at=%d chars=%d", k, len(text))
            return None
        spans[k] = origins[kept_positions[q]]
        q += 1
    if any(folded[i] != "-" for i in kept_positions[q:]):
        logger.warning("text map: normalised text ends early chars=%d", len(text))
        return None
    return spans
