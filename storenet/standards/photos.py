"""Audit photos, stored once by their content.

A photo is accepted when its bytes (not its name, nor the type a client claims) start
like a JPEG, a PNG or a WebP image and it is at most `MAX_BYTES` long; anything else is
refused naming the field and the reason. It is kept in one row of `standards_photos`,
keyed by the SHA-256 of its content, bytes included: the same photo uploaded twice is
stored once, the photo and its row are written in the caller's transaction (all or
nothing), and every server of a shared database serves it.

Photos kept before migration 0020 are files, `<folder>/<first two hex digits>/<sha256>`,
with a row without content; they are still read from there.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy import Connection, select, update

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
    """Where the photo of content hash `sha256` was kept under `folder` before
    migration 0020."""
    return Path(folder) / sha256[:2] / sha256


def store_photo(
    conn: Connection,
    data: bytes,
    by: str,
    field: str = "photo",
    limit: int = MAX_BYTES,
) -> dict:
    """Check and keep photo `data`, once per content, in the caller's transaction.
    Refused as `check_photo`. Answers {"sha256", "media_type", "size", "new"}: new is
    False when the same content was stored before (nothing new written then; a photo
    kept as a file before migration 0020 gets its bytes in its row)."""
    kind = check_photo(data, field, limit)
    digest = hashlib.sha256(data).hexdigest()
    row = {
        "sha256": digest,
        "media_type": kind,
        "size": len(data),
        "stored_at": utc_now(),
        "stored_by": by,
        "content": data,
    }
    stmt = (
        upsert_for(conn)(standards_photos)
        .values(**row)
        .on_conflict_do_nothing()
        .returning(standards_photos.c.sha256)
    )
    new = conn.execute(stmt).first() is not None
    if not new:  # an old file-kept photo uploaded again: keep its bytes in the row too
        conn.execute(
            update(standards_photos)
            .where(standards_photos.c.sha256 == digest, standards_photos.c.content.is_(None))
            .values(content=data)
        )
    return {"sha256": digest, "media_type": kind, "size": len(data), "new": new}


def read_photo(conn: Connection, folder: Path, sha256: str) -> tuple[bytes, str]:
    """The photo of content hash `sha256`: (bytes, media type), from its row, or from
    its file under `folder` for a photo kept before migration 0020. NotFound when there
    is no such photo (or an old photo's file is gone)."""
    if not isinstance(sha256, str) or not SHA256.match(sha256):
        raise NotFound("photo", str(sha256))
    row = conn.execute(
        select(standards_photos.c.media_type, standards_photos.c.content).where(
            standards_photos.c.sha256 == sha256
        )
    ).first()
    if row is None:
        raise NotFound("photo", sha256)
    if row.content is not None:
        return bytes(row.content), row.media_type
    target = path_of(folder, sha256)
    if not target.exists():
        raise NotFound("photo", sha256)
    return target.read_bytes(), row.media_type
