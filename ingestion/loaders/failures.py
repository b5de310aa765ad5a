"""Why a file gives no pages: one constructor per failure, each with a stable code and a message for
people. The codes are metric labels (worker failure counts), so they are a small fixed set."""

from __future__ import annotations

from app.core.errors import UnreadableDocument, UnsupportedFileType

CORRUPT = "corrupt_file"
PASSWORD_PROTECTED = "password_protected"
OLD_OFFICE_FORMAT = "old_office_format"
ZIP_BOMB = "zip_bomb"
UNSAFE_XML = "unsafe_xml"
NO_TEXT = "no_text"
TOO_MANY_PAGES = "too_many_pages"


def corrupt(what: str, detail: str) -> UnreadableDocument:
    return UnreadableDocument(
        f"This {what} is damaged ({detail}); upload the original again, or open it in Office, save a new "
        "copy and upload that.",
        code=CORRUPT,
    )


def password_protected() -> UnreadableDocument:
    return UnreadableDocument(
        "This Office document is protected with a password (or rights management), so its text is "
        "encrypted; open it, remove the protection (File > Info > Protect), save, and upload it again.",
        code=PASSWORD_PROTECTED,
    )


def old_office_format(what: str, save_as: str) -> UnsupportedFileType:
    return UnsupportedFileType(
        f"This file is an old Microsoft Office file ({what}) in the Office 97-2003 binary format, which "
        f"Shiori cannot read; open it in Office, save it as {save_as}, and upload that.",
        code=OLD_OFFICE_FORMAT,
    )


def zip_bomb(what: str, detail: str) -> UnreadableDocument:
    return UnreadableDocument(
        f"This {what} was refused: {detail}. Files like this are built to exhaust memory (a zip bomb); "
        "if it is genuine, split it into smaller files.",
        code=ZIP_BOMB,
    )


def unsafe_xml(what: str, part: str) -> UnreadableDocument:
    return UnreadableDocument(
        f"This {what} was refused: its part {part} declares an XML document type (DOCTYPE), which "
        "Office never writes and which can hide an entity bomb; save it again from Office.",
        code=UNSAFE_XML,
    )


def no_text(what: str, detail: str) -> UnreadableDocument:
    return UnreadableDocument(f"This {what} contains no text ({detail}).", code=NO_TEXT)


def too_many_pages(count: int, unit: str, limit: int) -> UnreadableDocument:
    return UnreadableDocument(
        f"This file has {count:,} {unit}; the limit is {limit:,} pages per document. Split it into "
        "smaller files and upload them separately.",
        code=TOO_MANY_PAGES,
    )
