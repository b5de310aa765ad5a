"""`shiori doctor` with a fake generator: the report's shape, speed figures and what counts as broken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.core.generation.fake import FakeGenerator
from app.services.doctor import cpu_report, measure_generator, run_doctor

pytestmark = pytest.mark.unit


def test_cpu_report_lists_known_features_in_order() -> None:
    cpu = cpu_report()
    assert cpu["cores"] and isinstance(cpu["features"], list)
    text = open("/proc/cpuinfo", encoding="utf-8").read()
    if " avx2" in text:
        assert "avx2" in cpu["features"] and cpu["missing"] == []


def test_measure_generator_reports_prompt_and_decode_speed() -> None:
    gen = FakeGenerator(["a"] * 30, delay_s=0.01)
    speed = measure_generator(gen, max_tokens=30)
    assert speed["prompt_tokens"] > 100 and speed["ttft_s"] >= 0.009
    assert speed["generated_tokens"] == gen.count_tokens("a" * 30)
    assert speed["decode_tokens_per_s"] is not None and speed["decode_tokens_per_s"] < 150  # 10 ms a token


def test_run_doctor_ok_with_a_working_generator(make_settings: Callable[..., Any]) -> None:
    settings = make_settings(generator={"backend": "fake", "fake_script": ["x "] * 10})
    report = run_doctor(settings)
    assert report["generator"]["ok"] and report["generator"]["speed"]["prompt_tokens"] > 0
    assert report["models"] == []  # fake models have no files to check
    assert report["ok"] is (not report["cpu"]["missing"])


def test_run_doctor_names_a_missing_model_file(make_settings: Callable[..., Any], tmp_path: Any) -> None:
    settings = make_settings(generator={"backend": "llama_cpp", "gguf_path": str(tmp_path / "none.gguf")})
    report = run_doctor(settings, measure=False)
    assert report["ok"] is False
    assert report["models"][0]["ok"] is False and "does not exist" in report["models"][0]["problem"]
    assert report["generator"]["ok"] is False and "does not exist" in report["generator"]["problem"]


def _fake_tesseract(tmp_path: Any, langs: list[str]) -> str:
    script = tmp_path / "tesseract"
    listing = "\\n".join(
        ['List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (2):', *langs]
    )
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "  --version) echo 'tesseract 5.3.0'; echo ' leptonica-1.82.0' ;;\n"
        f"  --list-langs) printf '{listing}\\n' ;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    return str(script)


def test_doctor_reports_tesseract_its_version_and_vertical_japanese(tmp_path: Any) -> None:
    from app.core.settings import OcrSettings
    from ingestion.ocr import ocr_report

    report = ocr_report(OcrSettings(command=_fake_tesseract(tmp_path, ["eng", "jpn", "jpn_vert", "osd"])))
    assert report["ok"] and report["available"] and report["problem"] is None
    assert report["version"] == "5.3.0" and report["languages"] == ["eng", "jpn", "jpn_vert", "osd"]
    assert report["vertical"] is True

    no_vert = ocr_report(OcrSettings(command=_fake_tesseract(tmp_path, ["eng", "jpn"])))
    assert no_vert["available"] and no_vert["vertical"] is False


def test_doctor_names_the_packages_when_ocr_is_asked_for_but_missing(tmp_path: Any) -> None:
    from app.core.settings import OcrSettings
    from ingestion.ocr import ocr_report

    auto = ocr_report(OcrSettings(command=str(tmp_path / "no-tesseract")))
    assert auto["available"] is False and auto["ok"] is True  # auto mode: OCR just stays off
    assert "tesseract-ocr-jpn" in str(auto["problem"])
    asked = ocr_report(OcrSettings(enabled=True, command=str(tmp_path / "no-tesseract")))
    assert asked["ok"] is False
    missing_jpn = ocr_report(OcrSettings(enabled=True, command=_fake_tesseract(tmp_path, ["eng"])))
    assert missing_jpn["ok"] is False and "jpn" in str(missing_jpn["problem"])
