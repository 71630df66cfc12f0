"""Which files a message may carry, told by name AND by content, and their names made safe.

A file must end in an accepted extension and its bytes must be what that extension says:
filetype (a small, dependency-free signature library) reads the magic bytes of PDF and the
images; office files are zips, so their structure is checked with zipfile (the parts every
docx/xlsx/pptx has; the ``mimetype`` entry every OpenDocument file starts with), which a
signature alone cannot tell from any other zip; CSV and plain text must be UTF-8 with no
control characters. A renamed .exe, an HTML page called notes.txt or an SVG called a.png is
refused. What is served back is the content type of the kind, never one the browser guessed.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import filetype

MAX_NAME_LENGTH = 120
_CHUNK = 64 * 1024


def _signature(mime: str) -> Callable[[IO[bytes]], bool]:
    def check(stream: IO[bytes]) -> bool:
        return filetype.guess_mime(stream.read(8192)) == mime

    return check


def _zip_names(stream: IO[bytes]) -> zipfile.ZipFile | None:
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _ooxml(main_part: str) -> Callable[[IO[bytes]], bool]:
    def check(stream: IO[bytes]) -> bool:
        archive = _zip_names(stream)
        if archive is None:
            return False
        names = set(archive.namelist())
        return "[Content_Types].xml" in names and main_part in names

    return check


def _opendocument(mime: str) -> Callable[[IO[bytes]], bool]:
    def check(stream: IO[bytes]) -> bool:
        archive = _zip_names(stream)
        if archive is None:
            return False
        try:
            info = archive.getinfo("mimetype")
        except KeyError:
            return False
        # The entry is a few dozen bytes; a larger one is no OpenDocument file (nor a bomb).
        return info.file_size <= 100 and archive.read(info).decode("ascii", "replace") == mime

    return check


def _utf8_text(stream: IO[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        while chunk := stream.read(_CHUNK):
            if _has_control(decoder.decode(chunk)):
                return False
        return not _has_control(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return False


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


@dataclass(frozen=True)
class FileKind:
    label: str  # "a PDF", for "does not look like a PDF"
    content_type: str  # what the download is served as
    matches: Callable[[IO[bytes]], bool]


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
KINDS: dict[str, FileKind] = {
    "pdf": FileKind("a PDF", "application/pdf", _signature("application/pdf")),
    "png": FileKind("a PNG image", "image/png", _signature("image/png")),
    "jpg": FileKind("a JPEG image", "image/jpeg", _signature("image/jpeg")),
    "jpeg": FileKind("a JPEG image", "image/jpeg", _signature("image/jpeg")),
    "gif": FileKind("a GIF image", "image/gif", _signature("image/gif")),
    "webp": FileKind("a WebP image", "image/webp", _signature("image/webp")),
    "docx": FileKind(
        "a Word document", _OOXML + "wordprocessingml.document", _ooxml("word/document.xml")
    ),
    "xlsx": FileKind(
        "an Excel workbook", _OOXML + "spreadsheetml.sheet", _ooxml("xl/workbook.xml")
    ),
    "pptx": FileKind(
        "a PowerPoint file", _OOXML + "presentationml.presentation", _ooxml("ppt/presentation.xml")
    ),
    "odt": FileKind("an OpenDocument text", _ODF + "text", _opendocument(_ODF + "text")),
    "ods": FileKind(
        "an OpenDocument spreadsheet", _ODF + "spreadsheet", _opendocument(_ODF + "spreadsheet")
    ),
    "csv": FileKind("a CSV file", "text/csv; charset=utf-8", _utf8_text),
    "txt": FileKind("a plain text file", "text/plain; charset=utf-8", _utf8_text),
}
ACCEPTED = (
    "PDF, images (PNG, JPEG, GIF, WebP), office files (docx, xlsx, pptx, odt, ods), "
    "CSV or plain text"
)
# For the file picker; the server decides all the same.
ACCEPT_ATTRIBUTE = ",".join(f".{extension}" for extension in KINDS)


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def kind_for(name: str) -> FileKind | None:
    return KINDS.get(extension_of(name))


def content_matches(kind: FileKind, stream: IO[bytes]) -> bool:
    """Whether the bytes are what the kind says; the stream is left at its start."""
    stream.seek(0)
    try:
        return kind.matches(stream)
    finally:
        stream.seek(0)


_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')


def clean_name(raw: str | None) -> str:
    """The name as shown and offered back in Content-Disposition: one line, no path, no
    control or invisible formatting characters (a right-to-left override can make
    "invoice_fdp.exe" read "invoice_exe.pdf"), at most MAX_NAME_LENGTH characters with its
    extension kept. Stored keys never derive from it."""
    name = unicodedata.normalize("NFKC", raw or "")  # also folds full-width "／" into "/"
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _WINDOWS_RESERVED.sub("_", " ".join(name.split())).strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        extension = extension_of(name)
        if extension and len(extension) <= 10:
            keep = MAX_NAME_LENGTH - len(extension) - 2
            name = f"{name[:keep].rstrip(' .')}….{extension}"
        else:
            name = name[:MAX_NAME_LENGTH]
    return name or "file"
