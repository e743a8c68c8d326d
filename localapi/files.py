"""Files the bot and the simulated people exchange, and the Telegram objects that describe them.

Why: a photo or document is stored once and described the same way whether the bot sent it
(sendPhoto, sendDocument) or a simulated person did (``SimUser.send_photo``).
"""

from __future__ import annotations

import itertools
import mimetypes
import struct
from dataclasses import dataclass


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    kind: str  # "document", "photo", "voice", "sticker"
    number: int = 0

    @property
    def file_path(self) -> str:
        ext = mimetypes.guess_extension(self.mime_type or "") or ""
        if self.file_name and "." in self.file_name:
            ext = "." + self.file_name.rsplit(".", 1)[1]
        return f"{self.kind}s/file_{self.number}{ext}"


class FileStore:
    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def add(self, data: bytes, file_name: str | None, mime_type: str | None, kind: str) -> StoredFile:
        n = next(self._numbers)
        stored = StoredFile(f"LOCAL{kind[:3].upper()}{n:08d}AAQ", f"AQAD{n:06d}", data, file_name, mime_type, kind, n)
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.by_id.get(file_id)


def _image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return 320, 320


def document_object(stored: StoredFile) -> dict:
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name, "mime_type": stored.mime_type,
            "file_size": len(stored.data)}


def photo_sizes(stored: StoredFile) -> list[dict]:
    width, height = _image_size(stored.data)
    return [{"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
             "width": width, "height": height, "file_size": len(stored.data)}]
