"""Checks on files that staff upload, by their content rather than their name."""

import io

from django.core.exceptions import ValidationError

#: A notice or minutes PDF is a few pages; anything larger is not what the field is for.
PDF_MAX_BYTES = 20 * 1024 * 1024


def validate_pdf(file) -> None:
    """Accept only a real PDF: the ``%PDF-`` signature, within the size bound, and a file a PDF
    reader opens with at least one page. A renamed HTML page or script is refused, whatever its
    name or declared content type says."""
    if file is None:
        return
    size = getattr(file, "size", None)
    if size is not None and size > PDF_MAX_BYTES:
        raise ValidationError(
            "文件过大（最大 %(limit)s MB）/ The file is too large (at most %(limit)s MB).",
            code="pdf_too_large",
            params={"limit": PDF_MAX_BYTES // (1024 * 1024)},
        )
    position = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        content = file.read(PDF_MAX_BYTES + 1)
    finally:
        if position is not None:
            file.seek(position)
    if len(content) > PDF_MAX_BYTES:
        raise ValidationError(
            "文件过大（最大 %(limit)s MB）/ The file is too large (at most %(limit)s MB).",
            code="pdf_too_large",
            params={"limit": PDF_MAX_BYTES // (1024 * 1024)},
        )
    if not pdf_bytes_valid(content):
        raise ValidationError(
            "只能上传PDF文件：该文件不是有效的PDF / Only PDF files can be uploaded: this file is not a valid PDF.",
            code="not_pdf",
        )


def pdf_bytes_valid(content: bytes) -> bool:
    """Whether ``content`` starts with the PDF signature and parses as a PDF with pages."""
    if not content.lstrip(b"\x00\t\n\r ")[:5] == b"%PDF-":
        return False
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        return len(reader.pages) > 0
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, OSError, RecursionError):
        return False


#: The image formats people's phones produce and browsers show.
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})


def validate_image(file, *, max_bytes: int) -> None:
    """Accept only a real photo: at most ``max_bytes``, and a file Pillow identifies as JPEG, PNG, WebP or GIF
    and verifies. A renamed text file or script (``leak.jpg``) is refused, whatever its name or declared
    content type says."""
    from PIL import Image, UnidentifiedImageError

    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            "图片过大（最大 %(limit)s MB）/ The image is too large (at most %(limit)s MB).",
            code="image_too_large",
            params={"limit": max_bytes // (1024 * 1024)},
        )
    position = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        content = file.read(max_bytes + 1)
    finally:
        if position is not None:
            file.seek(position)
    if len(content) > max_bytes:
        raise ValidationError(
            "图片过大（最大 %(limit)s MB）/ The image is too large (at most %(limit)s MB).",
            code="image_too_large",
            params={"limit": max_bytes // (1024 * 1024)},
        )
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        kind = None
    if kind not in IMAGE_FORMATS:
        raise ValidationError(
            "只能上传照片（JPEG、PNG、WebP 或 GIF）：该文件不是有效的图片 / Only photos (JPEG, PNG, WebP or GIF) can be "
            "uploaded: this file is not a valid image.",
            code="not_image",
        )
