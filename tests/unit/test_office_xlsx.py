from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from app.core.errors import UnreadableDocument
from ingestion.loaders import load_document
from ingestion.loaders.sniff import CSV, PLAIN, XLSX, sniff_mime
from ingestion.loaders.tabular import BLOCK_ROWS
from tests.support.office_files import Formula, Sheet, write_xlsx

pytestmark = pytest.mark.unit

HEADER = ["氏名", "部署", "売上", "単価", "合計", "入社日"]


def _sales_rows(n: int) -> list[list[object]]:
    rows: list[list[object]] = [HEADER]
    for i in range(n):
        r = i + 2
        rows.append(
            [f"社員{i}", "営業部", 100 + i, 1.5, Formula(f"C{r}*D{r}", (100 + i) * 1.5), dt.date(2020, 4, 1)]
        )
    return rows


def test_rows_read_as_header_value_pairs_with_cached_formula_values(tmp_path: Path) -> None:
    rows = [
        ["2024年度 売上一覧"],  # a title above the header stays a plain line
        [],
        HEADER,
        ["田中", "営業部", 1200, 0.1 + 0.2, Formula("C4*D4", 360.00000000000006), dt.date(2019, 4, 1)],
        ["鈴木", None, 800, 2, Formula('IF(C5>1000,"達成","未達")', "未達"), None],
    ]
    path = write_xlsx(tmp_path / "sales.xlsx", [Sheet("売上", rows)], title="売上管理")
    doc = load_document(path)

    assert doc.mime == XLSX
    assert doc.title == "売上管理"
    assert [(p.number, p.label) for p in doc.pages] == [(1, "Sheet 売上")]
    assert doc.pages[0].text.split("\n") == [
        "Sheet 売上",
        "2024年度 売上一覧",
        "氏名: 田中 | 部署: 営業部 | 売上: 1200 | 単価: 0.3 | 合計: 360 | 入社日: 2019-04-01",
        "氏名: 鈴木 | 売上: 800 | 単価: 2 | 合計: 未達",  # empty cells left out
    ]


def test_hidden_sheets_are_skipped_and_reported(tmp_path: Path) -> None:
    sheets = [
        Sheet("公開", [["項目", "値"], ["目標", "100件"]]),
        Sheet("秘密", [["項目", "値"], ["パスワード", "hunter2"]], state="hidden"),
        Sheet("計算用", [["a", "b"], ["x", "y"]], state="veryHidden"),
        Sheet("メモ", [["内容", "担当"], ["確認済み", "佐藤"]]),
    ]
    doc = load_document(write_xlsx(tmp_path / "book.xlsx", sheets))

    assert doc.page_count == 4
    assert [(p.number, p.label) for p in doc.pages] == [(1, "Sheet 公開"), (3 + 1, "Sheet メモ")]
    assert [(s.number, s.reason) for s in doc.skipped] == [
        (2, "hidden sheet (not indexed)"),
        (3, "hidden sheet (not indexed)"),
    ]
    assert not any("hunter2" in p.text for p in doc.pages)


def test_big_sheets_become_blocks_of_rows_labelled_with_their_rows(tmp_path: Path) -> None:
    progress: list[tuple[int, int]] = []
    sheets = [
        Sheet("売上", _sales_rows(2 * BLOCK_ROWS + 50)),
        Sheet("補足", [["注記", "値"], ["税込", "はい"]]),
    ]
    doc = load_document(
        write_xlsx(tmp_path / "big.xlsx", sheets), on_page=lambda i, n: progress.append((i, n))
    )

    assert [(p.number, p.label) for p in doc.pages] == [
        (1, "Sheet 売上 (rows 2–200)"),
        (2, "Sheet 売上 (rows 201–400)"),
        (3, "Sheet 売上 (rows 401–451)"),
        (4, "Sheet 補足"),
    ]
    assert doc.pages[1].text.split("\n")[:2] == [
        "Sheet 売上 (rows 201–400)",
        "氏名: 社員199 | 部署: 営業部 | 売上: 299 | 単価: 1.5 | 合計: 448.5 | 入社日: 2020-04-01",
    ]
    assert [i for i, _ in progress] == [1, 2, 3, 4]
    assert progress[-1] == (4, 4)


def test_row_numbers_are_the_sheets_own_when_the_table_starts_lower_and_to_the_right(tmp_path: Path) -> None:
    rows = [[None, None, "品目", "数量"]] + [[None, None, f"部品{i}", i] for i in range(BLOCK_ROWS)]
    doc = load_document(write_xlsx(tmp_path / "offset.xlsx", [Sheet("在庫", rows, first_row=5)]))

    assert [p.label for p in doc.pages] == ["Sheet 在庫 (rows 6–200)", "Sheet 在庫 (rows 201–205)"]
    assert doc.pages[1].text.split("\n")[-1] == "品目: 部品199 | 数量: 199"


def test_workbook_written_by_openpyxl(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "顧客"
    sheet.append(["会社名", "担当者", "契約日"])
    sheet.append(["株式会社みなと", "高橋", dt.datetime(2023, 10, 2, 9, 30)])
    hidden = book.create_sheet("作業")
    hidden.append(["x", "y"])
    hidden.sheet_state = "hidden"
    path = tmp_path / "customers.xlsx"
    book.save(path)

    doc = load_document(path)

    assert doc.pages[0].text == "Sheet 顧客\n会社名: 株式会社みなと | 担当者: 高橋 | 契約日: 2023-10-02 09:30"
    assert [s.reason for s in doc.skipped] == ["hidden sheet (not indexed)"]


def test_workbook_whose_only_data_is_hidden_fails_as_no_text(tmp_path: Path) -> None:
    sheets = [Sheet("Sheet1", []), Sheet("data", [["a", "b"], ["1", "2"]], state="hidden")]
    with pytest.raises(UnreadableDocument) as exc:
        load_document(write_xlsx(tmp_path / "hidden.xlsx", sheets))
    assert exc.value.code == "no_text"
    assert exc.value.detail == (
        "This Excel workbook contains no text "
        "(its visible sheets are empty, and hidden sheets are not indexed)."
    )


def test_macro_workbook_without_cells_fails_saying_it_holds_only_macros(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="only macros, which Shiori never runs") as exc:
        load_document(write_xlsx(tmp_path / "macros.xlsm", [Sheet("Sheet1", [])], macros=True))
    assert exc.value.code == "no_text"


def test_ten_thousand_sheets_fail_as_too_many_pages_before_any_is_read(tmp_path: Path) -> None:
    sheets = [Sheet(f"S{i}", [["a"]]) for i in range(10_000)]
    path = write_xlsx(tmp_path / "many.xlsx", sheets)
    with pytest.raises(UnreadableDocument) as exc:
        load_document(path)
    assert exc.value.code == "too_many_pages"
    assert exc.value.detail.startswith("This file has 10,000 sheets; the limit is 5,000 pages per document.")


def test_a_sheet_that_says_it_has_a_million_rows_is_refused_before_its_cells_are_loaded(
    tmp_path: Path,
) -> None:
    sheet = Sheet("dump", [["id", "name"], [1, "a"]], dimension="A1:B1048576")
    with pytest.raises(UnreadableDocument) as exc:
        load_document(write_xlsx(tmp_path / "dump.xlsx", [sheet]))
    assert exc.value.code == "too_many_pages"
    assert "5,243 pages (sheets, and blocks of 200 rows in big sheets)" in exc.value.detail


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_in_shift_jis_reads_rows_with_their_headers(tmp_path: Path) -> None:
    text = '商品コード,商品名,価格\r\nA-001,りんご,120\r\nA-002,"みかん, 大玉",98\r\n'
    path = tmp_path / "items.csv"
    path.write_bytes(text.encode("cp932"))

    doc = load_document(path)

    assert doc.mime == CSV
    assert [(p.number, p.label) for p in doc.pages] == [(1, None)]
    assert doc.pages[0].text.split("\n") == [
        "商品コード: A-001 | 商品名: りんご | 価格: 120",
        "商品コード: A-002 | 商品名: みかん, 大玉 | 価格: 98",
    ]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("id,name\n1,Alice\n".encode("utf-8-sig"), "bom.csv"),
        (b"id\tname\n1\tAlice\n", "tabs.tsv"),
        (b"id;name\n1;Alice\n", "semicolons.csv"),
    ],
)
def test_csv_encodings_and_delimiters(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert load_document(path).pages[0].text == "id: 1 | name: Alice"


def test_big_csv_is_cut_into_blocks_of_rows(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "time,event\n" + "".join(f"{i},event {i}\n" for i in range(BLOCK_ROWS + 10)), encoding="utf-8"
    )
    doc = load_document(path)
    assert [p.label for p in doc.pages] == ["Rows 2–200", "Rows 201–211"]


def test_text_stays_text_unless_a_csv_name_and_consistent_rows_say_csv(tmp_path: Path) -> None:
    prose = "We met in Tokyo, Osaka and Kyoto.\nThe weather was fine, mostly.\nNo commas here at all\n"
    table = "a,b,c\n1,2,3\n4,5,6\n"
    (tmp_path / "notes.csv").write_text(prose, encoding="utf-8")
    (tmp_path / "table.txt").write_text(table, encoding="utf-8")
    (tmp_path / "table.csv").write_text(table, encoding="utf-8")
    assert sniff_mime(tmp_path / "notes.csv") == PLAIN
    assert sniff_mime(tmp_path / "table.txt") == PLAIN
    assert sniff_mime(tmp_path / "table.csv") == CSV


def test_repeated_rows_are_data_not_running_headers_and_rows_are_never_joined(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text("status,owner\n" + "open,ops\n" * 6 + "closed,ops\n", encoding="utf-8")
    assert load_document(path).pages[0].text.split("\n") == ["status: open | owner: ops"] * 6 + [
        "status: closed | owner: ops"
    ]
