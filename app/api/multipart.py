"""Streaming multipart/form-data reader: each file part goes straight to disk, hashed, size-capped.

Starlette's own form parser spools every part before the route runs, so an oversized upload would be
read in full before we could refuse it. This parser writes as bytes arrive and stops at the limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import anyio
from python_multipart.multipart import MultipartParser, parse_options_header

from app.core.errors import InvalidInput, PayloadTooLarge
from app.services.documents import SpooledUpload, UploadWriter, validate_filename

MAX_FIELD_BYTES = 64 * 1024


@dataclass
class _Part:
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    field_buf: bytearray = field(default_factory=bytearray)
    value_buf: bytearray = field(default_factory=bytearray)
    name: str | None = None
    filename: str | None = None
    writer: UploadWriter | None = None
    data: bytearray = field(default_factory=bytearray)


@dataclass
class ParsedForm:
    files: list[SpooledUpload]
    fields: dict[str, str]

    def discard(self) -> None:
        for f in self.files:
            f.discard()


def _disposition(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    for key, value in headers:
        if key.lower() == b"content-disposition":
            msg = Message()
            msg["content-disposition"] = value.decode("utf-8", "surrogateescape")
            # email.Message decodes RFC 2231 (filename*=UTF-8''...) as well as plain quoted names.
            filename = msg.get_filename()
            name = msg.get_param("name", header="content-disposition")
            return (str(name) if name is not None else None), filename
    return None, None


async def read_multipart(
    content_type: str,
    body: AsyncIterator[bytes],
    *,
    uploads_dir: Path,
    file_field: str,
    max_file_bytes: int,
    max_files: int,
) -> ParsedForm:
    ctype, params = parse_options_header(content_type)
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise InvalidInput("Send the files as multipart/form-data.", code="expected_multipart")
    files: list[SpooledUpload] = []
    fields: dict[str, str] = {}
    state: dict[str, _Part] = {}

    def on_part_begin() -> None:
        state["part"] = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["part"].field_buf += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["part"].value_buf += data[start:end]

    def on_header_end() -> None:
        part = state["part"]
        part.headers.append((bytes(part.field_buf), bytes(part.value_buf)))
        part.field_buf.clear()
        part.value_buf.clear()

    def on_headers_finished() -> None:
        part = state["part"]
        part.name, raw_filename = _disposition(part.headers)
        if raw_filename is not None or part.name == file_field:
            if len(files) + 1 > max_files:
                raise PayloadTooLarge(
                    f"At most {max_files} files can be sent in one upload.", code="too_many_files"
                )
            part.filename = validate_filename(raw_filename)
            part.writer = UploadWriter(uploads_dir, part.filename, max_file_bytes)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part = state["part"]
        if part.writer is not None:
            part.writer.write(data[start:end])
        else:
            part.data += data[start:end]
            if len(part.data) > MAX_FIELD_BYTES:
                raise PayloadTooLarge("A form field is too large.", code="field_too_large")

    def on_part_end() -> None:
        part = state.pop("part")
        if part.writer is not None:
            files.append(part.writer.finish())
        elif part.name is not None:
            fields[part.name] = part.data.decode("utf-8", "replace")

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    try:
        async for chunk in body:
            # Disk writes happen inside the callbacks: run the parser off the event loop.
            await anyio.to_thread.run_sync(parser.write, chunk)
        parser.finalize()
        if "part" in state:
            raise InvalidInput(
                "The multipart body ended in the middle of a part.", code="malformed_multipart"
            )
    except BaseException as exc:
        part = state.get("part")
        if part is not None and part.writer is not None:
            part.writer.abort()
        for f in files:
            f.discard()
        if isinstance(exc, Exception) and type(exc).__module__.startswith("python_multipart"):
            raise InvalidInput(f"The multipart body is malformed: {exc}", code="malformed_multipart") from exc
        raise
    return ParsedForm(files, fields)
