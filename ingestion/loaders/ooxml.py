"""Office Open XML packages (.docx/.xlsx/.pptx and the macro-enabled .docm/.xlsm/.pptm): opened
safely, read part by part.

Before any parser sees a package, its ZIP directory is checked: how many parts (counted from the end
record, before zipfile builds an object per entry), how many bytes they and each of them unpack to,
and how well each compresses (a zip bomb compresses ~1000:1; Office XML measured at most 32:1 -
python-docx's styles.xml - and 5:1 over a whole 50,000-row workbook). The directory's sizes bind:
zipfile stops at a part's declared size and fails its CRC check if the data runs on.

XML parts are parsed with the standard library's expat after refusing any part that declares a
DOCTYPE: without one there are no entity declarations, so neither entity expansion (billion laughs)
nor external entities can happen, whatever the parser's defaults. Office never writes a DOCTYPE.

Macros (vbaProject.bin) are never read, let alone run: only the XML text parts are.
"""

from __future__ import annotations

import logging
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from ingestion.loaders import failures

logger = logging.getLogger(__name__)

MAX_PARTS = 20_000  # a 10,000-sheet workbook (~10,000 parts) must reach the page limit, not this one
MAX_UNPACKED_BYTES = 1 << 30  # 1 GiB: a 100 MB upload of ordinary Office XML unpacks to about 0.5 GB
MAX_PART_BYTES = 256 << 20  # one part: calamine holds a sheet in about twice its XML's size
MAX_TREE_BYTES = 64 << 20  # a part parsed into a tree here (~10x its size in memory); a 1,000-page
# Word document's document.xml is about 10 MB
MAX_RATIO = 200  # unpacked : packed, for a part of at least RATIO_FLOOR_BYTES unpacked
RATIO_FLOOR_BYTES = 1 << 20  # small parts compress however they like; they can't exhaust anything

NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_DC = "http://purl.org/dc/elements/1.1/"
_DOCTYPES = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
_SCAN_BYTES = 1 << 20
_EOCD_SEARCH_BYTES = (1 << 16) + 22  # the record (22 bytes) plus the longest possible comment
_XML_SUFFIXES = (".xml", ".rels", ".vml")
MACROS = "vbaProject.bin"


@dataclass(frozen=True)
class Rel:
    type: str  # the last segment of the relationship type URI: "slide", "notesSlide", "worksheet"...
    target: str  # part name inside the package, e.g. "ppt/slides/slide1.xml"


class Package:
    """An opened, checked package. `what` names it in messages ("Word document")."""

    def __init__(self, zf: zipfile.ZipFile, what: str) -> None:
        self._zf = zf
        self.what = what
        self.names = {info.filename for info in zf.infolist()}
        self.has_macros = any(posixpath.basename(n) == MACROS for n in self.names)
        self._rels: dict[str, dict[str, Rel]] = {}

    def read(self, name: str) -> bytes:
        try:
            data = self._zf.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise failures.corrupt(self.what, f"part {name} cannot be unpacked: {exc}") from exc
        if name.endswith(_XML_SUFFIXES) and _has_doctype(data):
            raise failures.unsafe_xml(self.what, name)
        return data

    def head(self, name: str, size: int = 4096) -> bytes:
        """The first `size` unpacked bytes of a part (b"" when it is missing or unreadable)."""
        try:
            with self._zf.open(name) as fh:
                return fh.read(size)
        except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
            return b""

    def xml(self, name: str) -> ET.Element | None:
        """The parsed part, or None when the package has no such part."""
        if name not in self.names:
            return None
        size = self._zf.getinfo(name).file_size
        if size > MAX_TREE_BYTES:
            mib, limit = size / 2**20, MAX_TREE_BYTES / 2**20
            raise failures.zip_bomb(
                self.what, f"its part {name} unpacks to {mib:,.0f} MiB (the limit is {limit:,.0f} MiB)"
            )
        data = self.read(name)
        try:
            return ET.fromstring(data)
        except ET.ParseError as exc:
            raise failures.corrupt(self.what, f"part {name} is not well-formed XML: {exc}") from exc

    def rels(self, source: str) -> dict[str, Rel]:
        """Relationships of part `source` ("" for the package itself), by id; external links left out."""
        if source in self._rels:
            return self._rels[source]
        folder, base = posixpath.split(source)
        root = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        out: dict[str, Rel] = self._rels.setdefault(source, {})
        if root is None:
            return out
        for rel in root.iter(f"{{{_NS_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            name = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            out[rel.get("Id", "")] = Rel(rel.get("Type", "").rsplit("/", 1)[-1], posixpath.normpath(name))
        return out

    def related(self, source: str, rel_type: str) -> list[str]:
        return [r.target for r in self.rels(source).values() if r.type == rel_type]

    def main_part(self, default: str) -> str:
        """The package's main part (officeDocument relationship); `default` when the link is missing."""
        found = self.related("", "officeDocument")
        main = found[0] if found else default
        if main not in self.names:
            raise failures.corrupt(self.what, f"its main part {main} is missing")
        return main

    def title(self) -> str | None:
        core = self.xml("docProps/core.xml")
        node = core.find(f"{{{_NS_DC}}}title") if core is not None else None
        title = (node.text or "").strip() if node is not None else ""
        return title or None

    def check_xml_parts(self) -> None:
        """Refuse a DOCTYPE in any XML part, for parsers this module does not drive (calamine)."""
        for name in sorted(self.names):
            if not name.endswith(_XML_SUFFIXES):
                continue
            try:
                with self._zf.open(name) as fh:
                    tail = b""
                    while chunk := fh.read(_SCAN_BYTES):
                        if _has_doctype(tail + chunk):
                            raise failures.unsafe_xml(self.what, name)
                        tail = chunk[-32:]
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
                raise failures.corrupt(self.what, f"part {name} cannot be unpacked: {exc}") from exc


@contextmanager
def open_package(path: Path, what: str) -> Iterator[Package]:
    """Open `path` as an OOXML package after the ZIP directory checks; raise a readable error if not."""
    check_entry_count(path, what)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise failures.corrupt(what, "its ZIP container cannot be read; the file may be truncated") from exc
    with zf:
        check_zip_limits(zf.infolist(), what)
        yield Package(zf, what)


def check_entry_count(path: Path, what: str) -> None:
    """Refuse too many parts before zipfile builds an object for each (2 million fit in 100 MB)."""
    count = zip_entry_count(path)
    if count is not None and count > MAX_PARTS:
        raise failures.zip_bomb(what, f"it holds {count:,} parts (the limit is {MAX_PARTS:,})")


def zip_entry_count(path: Path) -> int | None:
    """The entry count the ZIP's end-of-central-directory record announces; None where none is found."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        start = max(0, size - _EOCD_SEARCH_BYTES)
        fh.seek(start)
        tail = fh.read()
        pos = tail.rfind(b"PK\x05\x06")
        if pos < 0 or pos + 12 > len(tail):
            return None
        count = int.from_bytes(tail[pos + 10 : pos + 12], "little")
        if count != 0xFFFF:
            return count
        locator = tail.rfind(b"PK\x06\x07", 0, pos)  # ZIP64: the real count is in another record
        if locator < 0:
            return None
        fh.seek(int.from_bytes(tail[locator + 8 : locator + 16], "little"))
        record = fh.read(40)
        return int.from_bytes(record[32:40], "little") if record[:4] == b"PK\x06\x06" else None


def check_zip_limits(infos: list[zipfile.ZipInfo], what: str) -> None:
    if len(infos) > MAX_PARTS:
        raise failures.zip_bomb(what, f"it holds {len(infos):,} parts (the limit is {MAX_PARTS:,})")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        mib, limit = total / 2**20, MAX_UNPACKED_BYTES / 2**20
        raise failures.zip_bomb(what, f"it unpacks to {mib:,.0f} MiB (the limit is {limit:,.0f} MiB)")
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            mib, limit = info.file_size / 2**20, MAX_PART_BYTES / 2**20
            raise failures.zip_bomb(
                what, f"its part {info.filename} unpacks to {mib:,.0f} MiB (the limit is {limit:,.0f} MiB)"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise failures.zip_bomb(
                what,
                f"its part {info.filename} unpacks {ratio:,.0f} times larger than it is stored "
                f"(the limit is {MAX_RATIO}x)",
            )


def _has_doctype(data: bytes) -> bool:
    return any(mark in data for mark in _DOCTYPES)


def local(tag: str) -> str:
    """'{namespace}name' -> 'name'."""
    return tag.rsplit("}", 1)[-1]
