"""Backlog uploads: streamed to disk and stopped at the byte limit of their kind, before the view reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadhandler import SkipFile, StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext as _

KINDS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx"}


def upload_kind(file_name: str) -> str | None:
    """'csv' or 'xlsx' by the file's extension; None for a kind that is not imported."""
    return KINDS.get(Path(file_name or "").suffix.lower())


def too_large_message(limit: int) -> str:
    mb = limit / 1024 / 1024
    return _("The file is larger than %(size)s MB: split it into smaller files.") % {"size": f"{mb:,.0f}"}


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Every file goes to a temporary file on disk (never memory); past its kind's byte limit the upload stops.

    `refused` then holds the reason, and the rest of the request body is read and thrown away, so the page can
    answer with it. A file of a kind not imported is skipped (the view says which kinds are).
    """

    def __init__(self, request: HttpRequest, limits: dict[str, int]) -> None:
        super().__init__(request)
        self.limits = limits
        self.limit = 0
        self.received = 0
        self.refused = ""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        kind = upload_kind(file_name)
        if kind is None or kind not in self.limits:
            raise SkipFile
        self.limit, self.received = self.limits[kind], 0
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.refused = too_large_message(self.limit)
            self.file.close()  # a temporary file: closing deletes it
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)
