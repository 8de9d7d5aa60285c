"""Audit photos, stored once by their content.

A photo is accepted when its bytes (not its name, nor the type a client claims) start
like a JPEG, a PNG or a WebP image and it is at most `MAX_BYTES` long; anything else is
refused naming the field and the reason. It is kept as one file named by the SHA-256 of
its content, `<folder>/<first two hex digits>/<sha256>`, with one metadata row in
`standards_photos`: the same photo uploaded twice is stored once.

The file is written before the row, atomically (a temporary file renamed into place),
so a row never names a missing file; a transaction that rolls back may leave a file
with no row, which the next upload of the same photo reuses (same content, same name).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy import Connection, select

from storenet.errors import NotFound, Problem, Refused
from storenet.store.clock import utc_now
from storenet.store.engine import upsert_for
from storenet.store.schema import standards_photos

MAX_BYTES = 8 * 1024 * 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ACCEPTED = "a JPEG, PNG or WebP image"


def sniff(data: bytes) -> str | None:
    """The media type the bytes show (their magic numbers), or None: image/jpeg
    (FF D8 FF), image/png (the 8-byte PNG signature), image/webp (RIFF....WEBP)."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(data: bytes, field: str = "photo", limit: int = MAX_BYTES) -> str:
    """The media type of photo `data`; Refused naming `field` when it is empty, larger
    than `limit` bytes, or not a JPEG, PNG or WebP image by its content."""
    if not data:
        raise Refused([Problem(field, f"is empty: send {ACCEPTED}")])
    if len(data) > limit:
        raise Refused(
            [Problem(field, f"is {len(data):,} bytes, over the limit of {limit:,} bytes")]
        )
    kind = sniff(data)
    if kind is None:
        raise Refused([Problem(field, f"is not {ACCEPTED} (judged by its content, not its name)")])
    return kind


def path_of(folder: Path, sha256: str) -> Path:
    """Where the photo of content hash `sha256` is kept under `folder`."""
    return Path(folder) / sha256[:2] / sha256


def store_photo(
    conn: Connection,
    folder: Path,
    data: bytes,
    by: str,
    field: str = "photo",
    limit: int = MAX_BYTES,
) -> dict:
    """Check and keep photo `data` under `folder`, once per content, in the caller's
    transaction (the metadata row) and on disk (the file, before the row). Refused as
    `check_photo`. Answers {"sha256", "media_type", "size", "new"}: new is False when
    the same content was stored before (nothing written then)."""
    kind = check_photo(data, field, limit)
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(folder, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    row = {
        "sha256": digest,
        "media_type": kind,
        "size": len(data),
        "stored_at": utc_now(),
        "stored_by": by,
    }
    stmt = (
        upsert_for(conn)(standards_photos)
        .values(**row)
        .on_conflict_do_nothing()
        .returning(standards_photos.c.sha256)
    )
    new = conn.execute(stmt).first() is not None
    return {"sha256": digest, "media_type": kind, "size": len(data), "new": new}


def read_photo(conn: Connection, folder: Path, sha256: str) -> tuple[bytes, str]:
    """The photo of content hash `sha256`: (bytes, media type). NotFound when there is
    no such photo (or its file is gone)."""
    if not isinstance(sha256, str) or not SHA256.match(sha256):
        raise NotFound("photo", str(sha256))
    kind = conn.execute(
        select(standards_photos.c.media_type).where(standards_photos.c.sha256 == sha256)
    ).scalar()
    target = path_of(folder, sha256)
    if kind is None or not target.exists():
        raise NotFound("photo", sha256)
    return target.read_bytes(), kind
