"""Domain errors. Each carries a stable machine code; the API maps them to one JSON shape."""

from __future__ import annotations


class ShioriError(Exception):
    """Base of every error Shiori raises on purpose. `code` is stable, the message is for people."""

    code = "error"
    status = 400  # the HTTP status the API uses; services never look at it
    retry_after_s: int | None = None  # for "try again later" errors: when to try
    # True where the same request can succeed later unchanged (a model or service not available yet):
    # the ingestion worker retries these with backoff; any other ShioriError is the input's fault and
    # fails the document at once.
    transient = False

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
    transient = True


class NotReady(ShioriError):
    code = "not_ready"
    status = 503
    transient = True


class Unauthorized(ShioriError):
    """No API key, or one that is unknown or revoked."""

    code = "unauthorized"
    status = 401


class Forbidden(ShioriError):
    """The key is valid but its role does not allow this."""

    code = "forbidden"
    status = 403


class RateLimited(ShioriError):
    code = "rate_limited"
    status = 429
    transient = True

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class ConfigurationError(ShioriError):
    """The settings can't work together (the service refuses to start)."""

    code = "configuration_error"
    status = 500


class GeneratorUnavailable(ShioriError):
    """The answering model is not serving right now (its process is restarting, or an external
    server is unreachable). Search and uploads keep working; ask again after ``retry_after_s``."""

    code = "generator_unavailable"
    status = 503
    transient = True

    def __init__(self, detail: str, retry_after_s: int = 5, *, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after_s = retry_after_s


class GeneratorCrashed(ShioriError):
    """The generator process died in the middle of this answer (it restarts on its own)."""

    code = "generator_crashed"
    status = 503
    transient = True
    retry_after_s = 5
