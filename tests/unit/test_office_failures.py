"""Office files that must fail with a reason a person understands (and a stable code), or be read
for what they are whatever their name says."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from app.core.errors import ShioriError, UnreadableDocument, UnsupportedFileType
from ingestion.loaders import load_document, ooxml
from ingestion.loaders.sniff import DOCX, PPTX, XLSX, sniff_mime
from tests.support.office_files import (
    Sheet,
    replace_part,
    w_p,
    w_t,
    write_docx,
    write_ole,
    write_xlsx,
    write_zip_bomb,
)

pytestmark = pytest.mark.unit

_BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&lol3;</w:t></w:r></w:p></w:body></w:document>"
)


def _fails(path: Path, filename: str | None = None, **kwargs: int) -> ShioriError:
    with pytest.raises(ShioriError) as exc:
        load_document(path, filename=filename, **kwargs)
    return exc.value


def _small_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("請求書の支払期限は月末です。" * 20)
    document.save(str(path))
    return path


def test_password_protected_office_file_says_so(tmp_path: Path) -> None:
    error = _fails(write_ole(tmp_path / "secret.xlsx", ["EncryptionInfo", "EncryptedPackage"]))
    assert isinstance(error, UnreadableDocument)
    assert error.code == "password_protected"
    assert error.detail.startswith("This Office document is protected with a password")
    assert "remove the protection" in error.detail


@pytest.mark.parametrize(
    ("stream", "what", "save_as"),
    [
        ("WordDocument", "a Word document, .doc", ".docx"),
        ("Workbook", "an Excel workbook, .xls", ".xlsx"),
        ("PowerPoint Document", "a PowerPoint presentation, .ppt", ".pptx"),
    ],
)
def test_old_binary_office_file_asks_to_save_it_in_the_new_format(
    tmp_path: Path, stream: str, what: str, save_as: str
) -> None:
    error = _fails(write_ole(tmp_path / "old.bin", ["SummaryInformation", stream]))
    assert isinstance(error, UnsupportedFileType)
    assert error.code == "old_office_format"
    assert error.detail == (
        f"This file is an old Microsoft Office file ({what}) in the Office 97-2003 binary format, which "
        f"Shiori cannot read; open it in Office, save it as {save_as}, and upload that."
    )


def test_old_binary_file_is_not_taken_for_an_encrypted_one_because_its_text_names_the_stream(
    tmp_path: Path,
) -> None:
    path = write_ole(tmp_path / "old.doc", ["WordDocument"])
    path.write_bytes(path.read_bytes() + "see EncryptionInfo".encode("utf-16-le") * 10)
    assert _fails(path).code == "old_office_format"


def test_truncated_docx_is_reported_as_damaged(tmp_path: Path) -> None:
    data = _small_docx(tmp_path / "full.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(data[: len(data) // 2])
    error = _fails(path)
    assert error.code == "corrupt_file"
    assert error.detail.startswith("This Word document is damaged (its ZIP container cannot be read")


def test_docx_with_malformed_xml_is_reported_as_damaged(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bad.docx", "", document_xml="<w:document><w:body><w:p>")
    error = _fails(path)
    assert error.code == "corrupt_file"
    assert "part word/document.xml is not well-formed XML" in error.detail


def test_zip_bomb_is_refused_by_its_compression_ratio_before_unpacking(tmp_path: Path) -> None:
    error = _fails(write_zip_bomb(tmp_path / "bomb.docx"))
    assert error.code == "zip_bomb"
    assert error.detail.startswith("This Word document was refused: its part word/document.xml unpacks")
    assert f"(the limit is {ooxml.MAX_RATIO}x)" in error.detail


def test_package_unpacking_past_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _small_docx(tmp_path / "big.docx")
    monkeypatch.setattr(ooxml, "MAX_UNPACKED_BYTES", 100_000)
    error = _fails(path)
    assert error.code == "zip_bomb"
    assert "MiB (the limit is 0 MiB)" in error.detail


def test_package_with_too_many_parts_is_refused_before_zipfile_reads_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_xlsx(tmp_path / "parts.xlsx", [Sheet(f"S{i}", [["x"]]) for i in range(30)])
    monkeypatch.setattr(ooxml, "MAX_PARTS", 20)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # the count comes from the end record, not zipfile
    error = _fails(path)
    assert error.code == "zip_bomb"
    assert error.detail.startswith("This Excel workbook was refused: it holds 37 parts (the limit is 20)")


def test_part_too_big_to_parse_into_a_tree_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_docx(tmp_path / "long.docx", w_p(w_t("x" * 5000)))
    monkeypatch.setattr(ooxml, "MAX_TREE_BYTES", 4096)
    error = _fails(path)
    assert error.code == "zip_bomb"
    assert "its part word/document.xml unpacks to 0 MiB (the limit is 0 MiB)" in error.detail


def test_binary_excel_workbook_asks_to_save_it_as_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsb", [Sheet("S", [["a", "b"], ["c", "d"]])])
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.bin"/></Relationships>'
    )
    replace_part(replace_part(path, "xl/workbook.bin", b"\x83\x01\x00"), "_rels/.rels", rels)
    error = _fails(path)
    assert isinstance(error, UnsupportedFileType)
    assert error.detail.startswith("This is an Excel binary workbook (.xlsb)")


def test_entity_bomb_in_a_part_we_parse_is_refused(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "lol.docx", "", document_xml=_BILLION_LAUGHS)
    error = _fails(path)
    assert error.code == "unsafe_xml"
    assert "word/document.xml declares an XML document type (DOCTYPE)" in error.detail


def test_external_entity_in_a_part_calamine_parses_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "xxe.xlsx", [Sheet("S", [["a", "b"], ["c", "d"]])])
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t></si></sst>'
    )
    error = _fails(replace_part(path, "xl/sharedStrings.xml", xxe))
    assert error.code == "unsafe_xml"
    assert "xl/sharedStrings.xml" in error.detail


@pytest.mark.parametrize("name", ["report.pdf", "upload", "data.xlsx", "notes.txt"])
def test_office_files_are_known_by_content_whatever_their_name(tmp_path: Path, name: str) -> None:
    source = write_docx(tmp_path / "source.docx", w_p(w_t("内容で判定する。")))
    assert sniff_mime(source, filename=name) == DOCX
    assert load_document(source, filename=name).pages[0].text == "内容で判定する。"
    workbook = write_xlsx(tmp_path / "book.bin", [Sheet("S", [["k", "v"], ["a", "b"]])])
    assert sniff_mime(workbook, filename=name) == XLSX


def test_pptx_without_extension_is_known_by_its_ppt_folder(tmp_path: Path) -> None:
    path = tmp_path / "upload-1234"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("ppt/presentation.xml", "<p:presentation/>")
    assert sniff_mime(path) == PPTX
