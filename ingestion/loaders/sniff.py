"""Decide what a file is from its bytes, never from its name alone.

Uploads lie: a JPEG renamed to .pdf, an HTML error page saved as "report.pdf", a Shift_JIS text
file. We read magic numbers first (a ZIP is an Office file when it holds word/, xl/ or ppt/; an OLE
compound file is an encrypted Office file or an old binary one), then try text decodings, and use the
filename extension only to break ties between text kinds (HTML vs Markdown vs plain text; a .csv or
.tsv name plus rows that split consistently on one delimiter make CSV).
"""

from __future__ import annotations

import csv
import io
import logging
import mmap
import re
import zipfile
from collections import Counter
from itertools import islice
from pathlib import Path

from app.core.errors import ShioriError, UnreadableDocument, UnsupportedFileType
from ingestion.loaders import failures
from ingestion.loaders.ooxml import check_entry_count

logger = logging.getLogger(__name__)

PDF = "application/pdf"
HTML = "text/html"
MARKDOWN = "text/markdown"
PLAIN = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
CSV = "text/csv"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
IMAGE_KINDS = {PNG: "PNG image", JPEG: "JPEG image", TIFF: "TIFF image"}
# How messages name each Office type. Macro-enabled twins (.docm/.xlsm/.pptm) get the same MIME type:
# their text is read the same way and their macros never run.
OFFICE = {DOCX: "Word document", XLSX: "Excel workbook", PPTX: "PowerPoint presentation"}

_HEAD_BYTES = 8192
_TEXT_SAMPLE_BYTES = 256 * 1024
_SUPPORTED = (
    "Shiori can read PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), CSV, HTML, Markdown and "
    "plain-text files, and PNG, JPEG and TIFF images of pages."
)

# (offset, magic, what a person would call it). Order matters only where prefixes overlap.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"GIF87a", "a GIF image"),
    (0, b"GIF89a", "a GIF image"),
    (0, b"8BPS", "a Photoshop image"),
    (0, b"\x00\x00\x01\x00", "an icon image"),
    (0, b"{\\rtf", "an RTF document"),
    (0, b"%!PS", "a PostScript file"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (0, b"\xfd7zXZ\x00", "an xz archive"),
    (0, b"BZh", "a bzip2 archive"),
    (0, b"\x7fELF", "a program (ELF executable)"),
    (0, b"\xca\xfe\xba\xbe", "a compiled Java class or macOS program"),
    (0, b"\x00asm", "a WebAssembly program"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
    (0, b"OggS", "an Ogg audio/video file"),
    (0, b"fLaC", "a FLAC audio file"),
    (0, b"ID3", "an MP3 audio file"),
    (4, b"ftyp", "a video or HEIC image (MP4 family)"),
)
# Images of pages, read with OCR (ingestion.loaders.image).
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
_RIFF_KINDS = {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OFFICE_FOLDERS = ((b"word/", DOCX), (b"xl/", XLSX), (b"ppt/", PPTX))
_OFFICE_EXTS = {
    **dict.fromkeys((".docx", ".docm", ".dotx", ".dotm"), DOCX),
    **dict.fromkeys((".xlsx", ".xlsm", ".xltx", ".xltm"), XLSX),
    **dict.fromkeys((".pptx", ".pptm", ".potx", ".potm", ".ppsx", ".ppsm"), PPTX),
}
# OLE directory entries that tell what a compound file holds -> (what it is, what to save it as).
_OLE_STREAMS = {
    "WordDocument": ("a Word document, .doc", ".docx"),
    "Workbook": ("an Excel workbook, .xls", ".xlsx"),
    "Book": ("an Excel 5 workbook, .xls", ".xlsx"),
    "PowerPoint Document": ("a PowerPoint presentation, .ppt", ".pptx"),
}
_OLE_ENCRYPTED = ("EncryptionInfo", "EncryptedPackage")
_CSV_EXTS = {".csv", ".tsv"}
_CSV_DELIMITERS = (",", "\t", ";", "|")
_CSV_SAMPLE_RECORDS = 50
_CSV_MIN_SHARE = 0.8  # of sampled records with the usual field count
_HTML_EXTS = {".html", ".htm", ".xhtml"}
_MD_EXTS = {".md", ".markdown", ".mdown", ".mkd"}

_HTML_STRONG = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_HTML_TAG = re.compile(
    r"<(?:html|head|body|title|meta|p|div|span|br|h[1-6]|ul|ol|li|table|tr|td|a\s|img|script|style)\b",
    re.I,
)
_MD_FEATURES = (
    re.compile(r"^#{1,6}[ \t]+\S", re.M),  # ATX heading
    re.compile(r"^(?:```|~~~)", re.M),  # code fence
    re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"),  # [link](target)
    re.compile(r"^\s{0,3}[-*+][ \t]+\S", re.M),  # bullet list
    re.compile(r"(\*\*|__)(?=[^\s*_\[\]])[^\n]{1,200}?(?<=[^\s*_\[\]])\1"),  # **strong**
    re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+", re.M),  # table rule |---|---|
    re.compile(r"^\S[^\n]*\n(?:={3,}|-{3,})[ \t]*$", re.M),  # setext heading
)


def sniff_mime(path: Path, filename: str | None = None) -> str:
    """Return the MIME type of `path` judged by content; raise a readable error for what we can't read."""
    name = filename if filename is not None else path.name
    ext = Path(name).suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise UnreadableDocument("The file is empty (0 bytes).")
    with path.open("rb") as fh:
        head = fh.read(_TEXT_SAMPLE_BYTES)
    if head[:4] in _ZIP_MAGIC:
        return _zip_mime(path, head, ext)
    if head[:8] == _OLE_MAGIC:
        raise _ole_error(path)
    if b"%PDF-" in head[:1024]:
        return PDF
    image = next((mime for magic, mime in _IMAGE_MAGIC if head.startswith(magic)), None)
    if image is not None:
        if ext == ".pdf":
            raise _mislabelled(f"a {IMAGE_KINDS[image]}", ext)
        return image
    what = _binary_kind(head)
    if what is not None:
        raise _mislabelled(what, ext)
    text = _decode_sample(head, truncated=size > len(head))
    if text is None:
        raise _mislabelled("binary data, not text", ext)
    if ext in _CSV_EXTS and csv_delimiter(text) is not None:
        return CSV
    kind = classify_text(text, ext)
    if ext == ".pdf":
        # An HTML error page saved as "report.pdf" must not be indexed as if it were the report.
        looks = {HTML: "an HTML web page", MARKDOWN: "a Markdown text file", PLAIN: "a plain-text file"}
        raise _mislabelled(looks[kind], ext)
    logger.debug("sniffed path=%s mime=%s", path.name, kind)
    return kind


def _mislabelled(what: str, ext: str) -> UnsupportedFileType:
    if ext == ".pdf":
        return UnsupportedFileType(
            f"This file is not a PDF even though its name ends in .pdf (it looks like {what}). {_SUPPORTED}"
        )
    return UnsupportedFileType(f"This file looks like {what}, which Shiori cannot read. {_SUPPORTED}")


def _binary_kind(head: bytes) -> str | None:
    """Name the binary format in `head`, or None when it is not a format we recognise as binary."""
    for offset, magic, what in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return what
    if head[:4] == b"RIFF" and head[8:12] in _RIFF_KINDS:
        return _RIFF_KINDS[head[8:12]]
    if head[:2] == b"BM" and len(head) > 18 and head[14] in (12, 40, 52, 56, 108, 124):
        return "a BMP image"
    return None


def _zip_mime(path: Path, head: bytes, ext: str) -> str:
    """The Office type of a ZIP file, or a readable refusal."""
    hint = next((mime for folder, mime in _OFFICE_FOLDERS if folder in head), _OFFICE_EXTS.get(ext))
    check_entry_count(path, OFFICE.get(hint or "", "ZIP archive"))
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if hint is not None:
            raise failures.corrupt(
                OFFICE[hint], "its ZIP container cannot be read; the file may be truncated"
            ) from exc
        raise _mislabelled("a damaged ZIP archive", ext) from exc
    for folder, mime in _OFFICE_FOLDERS:
        prefix = folder.decode()
        if any(n.startswith(prefix) for n in names):
            logger.debug("sniffed path=%s mime=%s", path.name, mime)
            return mime
    if "META-INF/container.xml" in names:
        raise _mislabelled("an EPUB e-book", ext)
    if any(n.startswith("content.xml") for n in names):
        raise _mislabelled("an OpenDocument file (.odt/.ods/.odp)", ext)
    raise _mislabelled("a ZIP archive", ext)


def _ole_error(path: Path) -> ShioriError:
    """An OLE compound file is either an encrypted Office Open XML file (the package inside an
    EncryptedPackage stream, its key parameters in EncryptionInfo) or an Office 97-2003 binary file."""
    streams = ole_stream_names(path, (*_OLE_ENCRYPTED, *_OLE_STREAMS))
    if streams.intersection(_OLE_ENCRYPTED):
        return failures.password_protected()
    for name, (what, save_as) in _OLE_STREAMS.items():
        if name in streams:
            return failures.old_office_format(what, save_as)
    return failures.old_office_format(".doc, .xls or .ppt", ".docx, .xlsx or .pptx")


def ole_stream_names(path: Path, wanted: tuple[str, ...]) -> set[str]:
    """Which of `wanted` name a storage or stream in the compound file at `path`.

    A directory entry is 128 bytes at a multiple of 128 from the file start (sectors are 512 or 4096
    bytes, after a header of the same size): the UTF-16 name, its byte length with the terminator at
    +64, the entry type (1 storage, 2 stream) at +66. Matching all three finds the entry without
    walking the sector chains, and text that merely contains the name cannot pass for one."""
    found: set[str] = set()
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for name in wanted:
            needle = name.encode("utf-16-le") + b"\x00\x00"
            pos = data.find(needle)
            while pos >= 0:
                length = int.from_bytes(data[pos + 64 : pos + 66], "little")
                entry_type = data[pos + 66 : pos + 67]
                if pos % 128 == 0 and length == len(needle) and entry_type in (b"\x01", b"\x02"):
                    found.add(name)
                    break
                pos = data.find(needle, pos + 1)
    return found


def csv_delimiter(text: str) -> str | None:
    """The delimiter `text` splits on into consistent rows (the same field count, two or more, in
    most of the first records), or None when it does not read as delimited data."""
    best: tuple[float, int, str] | None = None
    sample = text[:_TEXT_SAMPLE_BYTES]
    for delimiter in _CSV_DELIMITERS:
        try:
            records = islice(csv.reader(io.StringIO(sample), delimiter=delimiter), _CSV_SAMPLE_RECORDS)
            rows = [r for r in records if any(cell.strip() for cell in r)]
        except csv.Error:
            continue
        if len(rows) < 2:
            continue
        width, n = Counter(len(r) for r in rows).most_common(1)[0]
        share = n / len(rows)
        if width >= 2 and share >= _CSV_MIN_SHARE and (best is None or (share, width) > best[:2]):
            best = (share, width, delimiter)
    return best[2] if best is not None else None


def _decode_sample(head: bytes, *, truncated: bool) -> str | None:
    if truncated:
        # The sample may end inside a multi-byte character; drop a few trailing bytes to be fair.
        for cut in range(4):
            text = _try_decode(head[: len(head) - cut] if cut else head)
            if text is not None:
                return text
        return None
    return _try_decode(head)


def _try_decode(data: bytes) -> str | None:
    try:
        return decode_text(data)[0]
    except UnreadableDocument:
        return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file's bytes; return (text, encoding). Raises UnreadableDocument if none fits.

    Order: BOMs, strict UTF-8, then the Japanese legacy encodings, picking whichever reads most like
    Japanese (EUC-JP bytes often decode "successfully" as CP932 half-width katakana garbage).
    """
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise UnreadableDocument(
                    "The text file says it is Unicode but its bytes are damaged; save it again as UTF-8."
                ) from exc
    if b"\x00" in data:
        raise UnreadableDocument("This looks like binary data, not text.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for enc in ("cp932", "euc_jp", "shift_jis", "iso2022_jp"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _japanese_score(text[:65536])
        if best is None or score > best[0]:
            best = (score, text, enc)
    if best is None or best[0] < 0.5:
        raise UnreadableDocument(
            "The text file uses a character encoding Shiori does not recognise; save it as UTF-8 and "
            "upload it again."
        )
    return best[1], best[2]


def _japanese_score(text: str) -> float:
    """How much `text` reads like Japanese: kana, ideographs, ASCII and full-width forms score 1;
    half-width katakana and other symbols 0.5 (EUC-JP misread as CP932 is mostly half-width
    katakana); private-use and control characters 0."""
    if not text:
        return 0.0
    return sum(_char_score(ch) for ch in text) / len(text)


def _char_score(ch: str) -> float:
    if ch.isascii():
        return 1.0 if ch.isprintable() or ch in "\n\r\t\f" else 0.0
    if "\u3000" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\uff01" <= ch <= "\uff5e":
        return 1.0
    if "\ue000" <= ch <= "\uf8ff" or not ch.isprintable():
        return 0.0
    return 0.5


def classify_text(text: str, ext: str = "") -> str:
    """HTML vs Markdown vs plain text by content; the extension only decides weak cases."""
    sample = text[:_TEXT_SAMPLE_BYTES]
    html_tags = len({m.group(0).lower() for m in _HTML_TAG.finditer(sample)})
    if _HTML_STRONG.match(sample) or html_tags >= 5:
        return HTML
    if ext in _HTML_EXTS and html_tags >= 1:
        return HTML
    md_score = markdown_score(sample)
    if md_score >= 2 or ext in _MD_EXTS:
        return MARKDOWN
    if md_score > 0 and ext not in {".txt", ".text"} and _MD_FEATURES[0].search(sample):
        return MARKDOWN
    return PLAIN


def markdown_score(text: str) -> float:
    """Sum over Markdown features of min(occurrences, 3) / 3: one stray '**' or '[x](y)' in a plain
    text file is weak evidence, a feature used three or more times is full evidence."""
    return sum(min(len(pat.findall(text)), 3) / 3 for pat in _MD_FEATURES)
