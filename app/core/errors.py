"""Domain errors. Each carries a stable machine code; the API maps them to one JSON shape."""

from __future__ import annotations


class ShioriError(Exception):
    """Base of every error Shiori raises on purpose. `code` is stable, the message is for people."""

    code = "error"
    status = 400  # the HTTP status the API uses; services never look at it

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(ShioriError):
    code = "not_found"
    status = 404


class Conflict(ShioriError):
    code = "conflict"
    status = 409


class InvalidInput(ShioriError):
    code = "invalid_input"
    status = 422


class PayloadTooLarge(ShioriError):
    code = "payload_too_large"
    status = 413


class UnsupportedFileType(ShioriError):
    code = "unsupported_file_type"
    status = 415


class UnreadableDocument(ShioriError):
    """The file was accepted but holds no text we can index (encrypted, image-only, garbage...)."""

    code = "unreadable_document"
    status = 422


class ModelUnavailable(ShioriError):
    """A model file or package is missing or broken; the message says what to install or run."""

    code = "model_unavailable"
    status = 503


class NotReady(ShioriError):
    code = "not_ready"
    status = 503
