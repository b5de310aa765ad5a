from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from app.core.errors import UnreadableDocument, UnsupportedFileType
from ingestion.loaders.sniff import DOCX, HTML, JPEG, MARKDOWN, PDF, PLAIN, PNG, TIFF, decode_text, sniff_mime

pytestmark = pytest.mark.unit

JA = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pdf_magic(tmp_path: Path) -> None:
    assert sniff_mime(write(tmp_path, "a.pdf", b"%PDF-1.7\n...")) == PDF
    # Some producers put junk before the header; readers accept it within the first 1024 bytes.
    assert sniff_mime(write(tmp_path, "b.bin", b"\x00" * 500 + b"%PDF-1.4\n")) == PDF


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match=r"The file is empty \(0 bytes\)\."):
        sniff_mime(write(tmp_path, "empty.pdf", b""))


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"GIF89a\x01\x00\x01\x00", "GIF image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "old Microsoft Office"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 10, "gzip"),
        (b"\x7fELF\x02\x01\x01", "program"),
    ],
)
def test_binary_formats_are_named(tmp_path: Path, data: bytes, what: str) -> None:
    with pytest.raises(UnsupportedFileType, match=what):
        sniff_mime(write(tmp_path, "upload.bin", data))


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", PNG),
        (b"II*\x00\x08\x00\x00\x00", TIFF),
        (b"MM\x00*\x00\x00\x00\x08", TIFF),
    ],
)
def test_page_images_are_read_with_ocr(tmp_path: Path, data: bytes, mime: str) -> None:
    assert sniff_mime(write(tmp_path, "scan.bin", data)) == mime


def test_jpeg_named_pdf(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileType) as exc:
        sniff_mime(write(tmp_path, "scan.pdf", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
    assert "not a PDF even though its name ends in .pdf" in str(exc.value)
    assert "JPEG image" in str(exc.value)


def test_html_page_named_pdf(tmp_path: Path) -> None:
    path = write(tmp_path, "x.bin", b"<!DOCTYPE html><html><body>Login required</body></html>")
    with pytest.raises(UnsupportedFileType, match="HTML web page"):
        sniff_mime(path, filename="report.pdf")


def test_office_zip_files(tmp_path: Path) -> None:
    path = tmp_path / "doc.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    assert sniff_mime(path) == DOCX
    plain_zip = tmp_path / "a.zip"
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("x.txt", "hi")
    with pytest.raises(UnsupportedFileType, match="ZIP archive"):
        sniff_mime(plain_zip)


def test_binary_garbage(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileType, match="binary data"):
        sniff_mime(write(tmp_path, "x.dat", bytes(range(256)) * 4))


def test_plain_text_encodings(tmp_path: Path) -> None:
    for i, data in enumerate(
        [
            JA.encode("utf-8"),
            b"\xef\xbb\xbf" + JA.encode("utf-8"),
            JA.encode("utf-16"),  # with BOM
            JA.encode("shift_jis"),
            JA.encode("cp932"),
            JA.encode("euc_jp"),
        ]
    ):
        assert sniff_mime(write(tmp_path, f"t{i}.txt", data)) == PLAIN
        assert decode_text(data)[0] == JA


def test_legacy_encodings_are_told_apart() -> None:
    assert decode_text(JA.encode("euc_jp"))[1] == "euc_jp"
    assert decode_text(JA.encode("cp932"))[1] == "cp932"
    assert decode_text("①②ｶﾀｶﾅ髙".encode("cp932"))[0] == "①②ｶﾀｶﾅ髙"  # CP932 extensions


def test_html_by_content(tmp_path: Path) -> None:
    assert sniff_mime(write(tmp_path, "page.txt", b"<!doctype html>\n<title>x</title><p>hi")) == HTML
    assert (
        sniff_mime(
            write(tmp_path, "frag", b"<div><p>a</p><ul><li>b</li></ul><table><tr><td>c</td></tr></table>")
        )
        == HTML
    )
    # A single tag is a weak signal: the extension decides.
    assert sniff_mime(write(tmp_path, "x.html", b"Hello <b>world</b> <br>")) == HTML
    assert sniff_mime(write(tmp_path, "x.txt", b"a <= b and b > c")) == PLAIN


def test_markdown_by_content_and_extension(tmp_path: Path) -> None:
    md = b"# Title\n\nSome *text* and a [link](http://x).\n\n- one\n- two\n- three\n\n```\ncode\n```\n"
    assert sniff_mime(write(tmp_path, "notes.txt", md)) == MARKDOWN  # strong content wins
    assert sniff_mime(write(tmp_path, "readme.md", b"just words\n")) == MARKDOWN  # tie: extension
    assert sniff_mime(write(tmp_path, "notes2.txt", b"Price **is** high\n")) == PLAIN  # one stray marker
    assert sniff_mime(write(tmp_path, "noext", b"# Heading\nText\n")) == MARKDOWN


def test_filename_overrides_path_name(tmp_path: Path) -> None:
    path = write(tmp_path, "upload-1234", b"# Heading only\n")
    assert sniff_mime(path, filename="notes.txt") == PLAIN
    assert sniff_mime(path, filename="notes.md") == MARKDOWN


def test_undecodable_text(tmp_path: Path) -> None:
    data = bytes([0x80, 0x81, 0xFD, 0xFE, 0xFF, 0xA0]) * 50
    with pytest.raises(UnsupportedFileType):
        sniff_mime(write(tmp_path, "x.txt", data))
