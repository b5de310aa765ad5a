"""Office files the tests build byte by byte, for what python-docx/python-pptx/openpyxl can't write:
Word's rendered page breaks, footnotes and comments, cached formula values, hidden sheets, encrypted
and old binary (OLE) files, zip bombs."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def write_zip(path: Path, parts: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def replace_part(path: Path, name: str, data: str | bytes) -> Path:
    """Rewrite the package at `path` with part `name` replaced by `data`."""
    with zipfile.ZipFile(path) as zf:
        parts: dict[str, str | bytes] = {info.filename: zf.read(info) for info in zf.infolist()}
    parts[name] = data
    return write_zip(path, parts)


def _rels(links: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{_REL}/{kind}" Target="{target}"/>'
        for i, (kind, target) in enumerate(links)
    )
    return f'{_XML}<Relationships xmlns="{_PKG_REL}">{items}</Relationships>'


def _content_types(overrides: dict[str, str]) -> str:
    items = "".join(f'<Override PartName="/{name}" ContentType="{ct}"/>' for name, ct in overrides.items())
    return (
        f'{_XML}<Types xmlns="{_CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{items}</Types>'
    )


def _core(title: str | None) -> str:
    return (
        f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{escape(title or '')}</dc:title></cp:coreProperties>"
    )


# -- Word ------------------------------------------------------------------------------------------


def w_p(*runs: str, style: str | None = None, ppr: str = "") -> str:
    """A paragraph; each run is raw run content (e.g. w_t("text") or "<w:lastRenderedPageBreak/>")."""
    pstyle = f'<w:pStyle w:val="{style}"/>' if style else ""
    props = f"<w:pPr>{pstyle}{ppr}</w:pPr>" if pstyle or ppr else ""
    return f"<w:p>{props}{''.join(f'<w:r>{r}</w:r>' for r in runs)}</w:p>"


def w_t(text: str) -> str:
    return f'<w:t xml:space="preserve">{escape(text)}</w:t>'


def w_table(rows: Sequence[Sequence[str]]) -> str:
    trs = "".join("<w:tr>" + "".join(f"<w:tc>{w_p(w_t(c))}</w:tc>" for c in row) + "</w:tr>" for row in rows)
    return f"<w:tbl>{trs}</w:tbl>"


RENDERED_BREAK = "<w:lastRenderedPageBreak/>"
PAGE_BREAK = '<w:br w:type="page"/>'
SECTION_END = '<w:sectPr><w:type w:val="nextPage"/></w:sectPr>'


def _note(kind: str, note_id: int, text: str) -> str:
    return f'<w:{kind} w:id="{note_id}">{w_p(f"<w:{kind}Ref/>", w_t(" " + text))}</w:{kind}>'


_WORD_STYLES = (
    f'{_XML}<w:styles xmlns:w="{_W}">'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/>'
    '<w:basedOn w:val="Normal"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/>'
    '<w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/>'
    '<w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Chapter"><w:name w:val="My Chapter"/>'
    '<w:basedOn w:val="1"/><w:pPr><w:pageBreakBefore/></w:pPr></w:style>'
    "</w:styles>"
)


def write_docx(
    path: Path,
    body: str,
    *,
    footnotes: Sequence[tuple[int, str]] = (),
    endnotes: Sequence[tuple[int, str]] = (),
    comments: Sequence[tuple[str, str]] = (),
    title: str | None = None,
    macros: bool = False,
    document_xml: str | None = None,
) -> Path:
    """A .docx whose body is `body` (WordprocessingML); styles "1"/"2" are Japanese Word's heading
    ids (names "heading 1"/"heading 2"), "Chapter" a heading 1 that starts a new page."""
    links = [("styles", "styles.xml")]
    parts: dict[str, str | bytes] = {"word/styles.xml": _WORD_STYLES}
    for kind, notes in (("footnote", footnotes), ("endnote", endnotes)):
        if notes:
            separator = f'<w:{kind} w:type="separator" w:id="-1">{w_p("<w:separator/>")}</w:{kind}>'
            items = "".join(_note(kind, i, text) for i, text in notes)
            parts[f"word/{kind}s.xml"] = f'{_XML}<w:{kind}s xmlns:w="{_W}">{separator}{items}</w:{kind}s>'
            links.append((f"{kind}s", f"{kind}s.xml"))
    if comments:
        items = "".join(
            f'<w:comment w:id="{i}" w:author={quoteattr(author)}>{w_p(w_t(text))}</w:comment>'
            for i, (author, text) in enumerate(comments)
        )
        parts["word/comments.xml"] = f'{_XML}<w:comments xmlns:w="{_W}">{items}</w:comments>'
        links.append(("comments", "comments.xml"))
    if macros:
        parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not a real macro project"
    parts["word/document.xml"] = document_xml or (
        f'{_XML}<w:document xmlns:w="{_W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/'
        f'2006"><w:body>{body}<w:sectPr/></w:body></w:document>'
    )
    parts["word/_rels/document.xml.rels"] = _rels(links)
    parts["docProps/core.xml"] = _core(title)
    parts["_rels/.rels"] = _rels([("officeDocument", "word/document.xml")])
    main_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    parts["[Content_Types].xml"] = _content_types({"word/document.xml": main_type})
    return write_zip(path, parts)


# -- Excel -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    expression: str
    cached: str | float  # the value Excel stored when it last calculated


Cell = str | int | float | bool | dt.date | Formula | None


@dataclass
class Sheet:
    name: str
    rows: Sequence[Sequence[Cell]]
    state: str = "visible"  # or "hidden", "veryHidden"
    first_row: int = 1  # sheet row of rows[0]
    dimension: str | None = None  # <dimension ref=...>, as Excel writes it
    strings: dict[str, int] = field(default_factory=dict)


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: Cell, strings: dict[str, int]) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        kind = ' t="str"' if isinstance(value.cached, str) else ""
        return f'<c r="{ref}"{kind}><f>{escape(value.expression)}</f><v>{escape(str(value.cached))}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="1"><v>{(value - dt.date(1899, 12, 30)).days}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    index = strings.setdefault(value, len(strings))
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


_XLSX_STYLES = (
    f'{_XML}<styleSheet xmlns="{_S}"><fonts count="1"><font/></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def write_xlsx(
    path: Path, sheets: Sequence[Sheet], *, title: str | None = None, macros: bool = False
) -> Path:
    """A workbook as Excel writes one: shared strings, formulas with cached values, dates as serial
    numbers in a date style, sheet states in workbook.xml."""
    strings: dict[str, int] = {}
    parts: dict[str, str | bytes] = {}
    for n, sheet in enumerate(sheets):
        rows = []
        for i, row in enumerate(sheet.rows):
            r = sheet.first_row + i
            cells = "".join(_cell(f"{_column(c)}{r}", v, strings) for c, v in enumerate(row))
            rows.append(f'<row r="{r}">{cells}</row>')
        dimension = f'<dimension ref="{sheet.dimension}"/>' if sheet.dimension else ""
        parts[f"xl/worksheets/sheet{n + 1}.xml"] = (
            f'{_XML}<worksheet xmlns="{_S}">{dimension}<sheetData>{"".join(rows)}</sheetData></worksheet>'
        )
    entries = "".join(
        f'<sheet name={quoteattr(s.name)} sheetId="{n + 1}" r:id="rId{n + 1}"'
        + (f' state="{s.state}"' if s.state != "visible" else "")
        + "/>"
        for n, s in enumerate(sheets)
    )
    parts["xl/workbook.xml"] = (
        f'{_XML}<workbook xmlns="{_S}" xmlns:r="{_REL}"><sheets>{entries}</sheets></workbook>'
    )
    links = [("worksheet", f"worksheets/sheet{n + 1}.xml") for n in range(len(sheets))]
    links += [("styles", "styles.xml"), ("sharedStrings", "sharedStrings.xml")]
    parts["xl/_rels/workbook.xml.rels"] = _rels(links)
    parts["xl/styles.xml"] = _XLSX_STYLES
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    parts["xl/sharedStrings.xml"] = f'{_XML}<sst xmlns="{_S}" count="{len(strings)}">{items}</sst>'
    if macros:
        parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not a real macro project"
    parts["docProps/core.xml"] = _core(title)
    parts["_rels/.rels"] = _rels([("officeDocument", "xl/workbook.xml")])
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = {f"xl/worksheets/sheet{n + 1}.xml": sheet_type for n in range(len(sheets))}
    overrides["xl/workbook.xml"] = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    )
    parts["[Content_Types].xml"] = _content_types(overrides)
    return write_zip(path, parts)


# -- broken and hostile files ----------------------------------------------------------------------


def write_ole(path: Path, streams: Sequence[str]) -> Path:
    """A compound file (OLE2, version 3: 512-byte sectors) whose directory names `streams`: with
    "EncryptionInfo" and "EncryptedPackage" it is how Office stores a password-protected .docx/.xlsx/
    .pptx; with "WordDocument" it is a Word 97-2003 .doc."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x18:0x1A] = (0x3E).to_bytes(2, "little")
    header[0x1A:0x1C] = (3).to_bytes(2, "little")
    header[0x1C:0x1E] = b"\xfe\xff"
    header[0x1E:0x20] = (9).to_bytes(2, "little")  # 512-byte sectors
    header[0x20:0x22] = (6).to_bytes(2, "little")
    header[0x2C:0x30] = (1).to_bytes(4, "little")  # one FAT sector
    header[0x30:0x34] = (1).to_bytes(4, "little")  # the directory starts at sector 1
    header[0x4C:0x50] = (0).to_bytes(4, "little")  # the FAT is sector 0
    header[0x50:0x200] = b"\xff" * (0x200 - 0x50)
    fat = bytearray(b"\xff" * 512)
    fat[0:4] = (0xFFFFFFFD).to_bytes(4, "little")
    fat[4:8] = (0xFFFFFFFE).to_bytes(4, "little")
    directory = bytearray()
    for i, name in enumerate(("Root Entry", *streams)):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[0 : len(encoded)] = encoded
        entry[64:66] = len(encoded).to_bytes(2, "little")
        entry[66] = 5 if i == 0 else 2  # root storage, then streams
        directory += entry
    directory += b"\x00" * (-len(directory) % 512)
    path.write_bytes(bytes(header + fat + directory) + b"\x00" * 512)
    return path


def write_zip_bomb(path: Path, folder: str = "word/", unpacked: int = 8 << 20) -> Path:
    """An Office-looking package with one part of `unpacked` zero bytes (deflate packs it ~1000:1)."""
    return write_zip(
        path,
        {
            "[Content_Types].xml": _content_types({}),
            f"{folder}document.xml": b"\x00" * unpacked,
        },
    )
