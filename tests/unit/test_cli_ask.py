"""`shiori ask` shows what the citation check found, as the UI does: a command-line user reads the same
answer and must see the same warnings (#15, item 2: every unsupported claim visibly flagged)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import cli
from tests.support.seeds import GPT3_SLIDE as SLIDE

pytestmark = pytest.mark.unit


@pytest.fixture
def ask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHIORI_PATHS__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHIORI_EMBEDDING__BACKEND", "fake")
    monkeypatch.setenv("SHIORI_GENERATOR__BACKEND", "fake")
    monkeypatch.setenv("SHIORI_ANSWER__ABSTAIN_BELOW", "-1")  # the fake embedder's similarities are low
    monkeypatch.delenv("SHIORI_DB__URL", raising=False)
    doc = tmp_path / "slides.txt"
    doc.write_text(SLIDE, encoding="utf-8")
    assert cli.main(["ingest", str(doc)]) == 0
    capsys.readouterr()

    def run(question: str, *reply: str, then: list[str] | None = None) -> str:
        """Ask with the fake model writing ``reply`` (and ``then`` when asked a second time)."""
        replies = [list(reply), then] if then else [list(reply)]
        monkeypatch.setenv("SHIORI_GENERATOR__FAKE_REPLIES", json.dumps(replies, ensure_ascii=False))
        assert cli.main(["ask", question]) == 0
        return capsys.readouterr().out

    return run


def test_a_flagged_answer_says_so_and_its_source_is_not_marked_as_backing_it(ask) -> None:  # type: ignore[no-untyped-def]
    out = ask("GPT-3のパラメータ数は？", "4900億", "[1]。")
    assert "! not backed by the sources: 4900億[1]。 (the source does not back: 4900)" in out
    assert "*[1]" not in out and " [1] slides.txt" in out


def test_a_backed_answer_prints_no_warning_and_marks_its_source(ask) -> None:  # type: ignore[no-untyped-def]
    out = ask("GPT-3の学習データの総トークン数は？", "約4900億", "です[1]。")
    assert "!" not in out
    assert "*[1] slides.txt" in out


def test_no_number_where_one_is_asked_for_is_said(ask) -> None:  # type: ignore[no-untyped-def]
    out = ask("GPT-3の総トークン数はどれくらいですか？", "データとなる大量のテキスト", "です[1]。")
    assert "! the question asks for a number, and this answer gives none" in out


def test_a_revised_answer_is_printed_after_the_first(ask) -> None:  # type: ignore[no-untyped-def]
    """The check flagged the streamed answer and the second attempt passed it (answer.recheck): the
    terminal can't take the first back, so it says so and prints the revision, whose source backs it."""
    revision = "パラメータの数は100億個以上を基準とする文献もあります[1]。"
    out = ask("GPT-3のパラメータ数は？", "4900億", "[1]。", then=[revision])
    first, rest = out.split("! the sources do not back the answer above; asked again from one source:")
    assert first.startswith("4900億[1]。") and rest.lstrip().startswith(revision)
    assert "! not backed" not in out and "*[1] slides.txt" in out
