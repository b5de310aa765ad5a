"""What the sample corpus's bad PDFs must come to (its pdf/MANIFEST.tsv, in test form)."""

from __future__ import annotations

RECOVERS = {  # MANIFEST: readable text where a lenient parser recovers it
    "bad_encrypted_ownerpw-only_aes128-r4.pdf",
    "bad_corrupt_flate-stream_a2ps.pdf",
    "bad_attachment_embedded-file.pdf",
    "bad_hidden-white-text_injection.pdf",
}
FAILS = {  # file -> a word the reason must contain
    "bad_encrypted_userpw_libreoffice.pdf": "password",
    "bad_encrypted_userpw_utf8-aes256-r6.pdf": "password",
    "bad_zero-pages_count0.pdf": "no pages",
    "bad_zero-bytes_empty-file.pdf": "empty",
    "bad_huge-page-count_claim.pdf": "no text",
    "bad_not-a-pdf_jpeg-renamed.pdf": "JPEG",
}
READ_BY_OCR = {  # file -> text its page holds once OCR read it (needs Tesseract; without: FAILS_WITHOUT_OCR)
    "bad_scanned_image-only_en.pdf": "Docling bundles PDF document conversion",
    "bad_scanned_image-only_cjk.pdf": "公司",  # a Chinese scan: read with jpn, its common characters
    "bad_no-tounicode_garbled_cid.pdf": "The quick brown fox jumps over the lazy dog",
}
FAILS_WITHOUT_OCR = {
    "bad_scanned_image-only_en.pdf": "OCR",
    "bad_scanned_image-only_cjk.pdf": "OCR",
    "bad_no-tounicode_garbled_cid.pdf": "garbage",
}
TESSERACT_MISSING = (
    "Tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert "
    "tesseract-ocr-eng"
)
