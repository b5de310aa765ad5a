"""English stop words for BM25: function words that match almost every passage and rank nothing.

Kept short on purpose (no content words such as "first" or "new"): a word left in costs a little
speed; a word wrongly dropped can make a query unanswerable.
"""

from __future__ import annotations

ENGLISH_STOPWORDS = frozenset(
    """
    a an the and or but nor of in on at to for from by with without into onto upon about as than then
    is are was were be been being am do does did doing done has have had having will would shall should
    can could may might must it its it's this that these those there here which who whom whose what when
    where why how i me my we us our you your he him his she her they them their not no so if also such s t
    """.split()
)
