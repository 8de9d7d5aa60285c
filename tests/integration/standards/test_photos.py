"""Audit photos: type-checked by content, size-checked, stored once by SHA-256 in their
row (every server of a shared database serves them); photos kept as files before
migration 0020 are still served."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select, update

from storenet.errors import NotFound, Refused
from storenet.standards import actions
from storenet.standards.photos import path_of
from storenet.standards.status import StatusConflict
from storenet.store.schema import standards_audit_photos, standards_photos
from tests.integration.standards.standards_support import (
    ALL_PASS,
    person,
    run,
    score_all,
    start,
    submit,
)


@pytest.fixture
def photos_dir(tmp_path):
    """The photo folder (beside, not around, the test's SQLite file)."""
    return tmp_path / "data" / "photos"


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(100)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(100)


def _attach(engine, folder, audit, data, name="photo.jpg", code="clean.floor", limit=None):  # type: ignore[no-untyped-def]
    who = person(engine, "aud_east")
    extra = {"limit": limit} if limit else {}
    return run(
        engine,
        lambda conn: actions.attach_photo(
            conn, who, audit_id=audit, code=code, data=data, name=name, **extra
        ),
    )


def _content(engine, digest):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        got = conn.execute(
            select(standards_photos.c.content).where(standards_photos.c.sha256 == digest)
        ).scalar()
    return None if got is None else bytes(got)


def test_jpeg_png_and_webp_are_kept_under_their_content_hash(std, photos_dir):
    audit = start(std)
    for data, kind in ((JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")):
        got = _attach(std, photos_dir, audit, data)
        digest = hashlib.sha256(data).hexdigest()
        assert got == {
            "sha256": digest,
            "media_type": kind,
            "size": len(data),
            "new": True,
            "attached": True,
        }
        assert _content(std, digest) == data
    hq = person(std, "hq")
    doc = run(std, lambda conn: actions.read(conn, hq, audit))
    floor = next(i for i in doc["items"] if i["code"] == "clean.floor")
    assert len(floor["photos"]) == 3
    # Another server, with a photo folder of its own (empty), serves it from the row.
    elsewhere = photos_dir.parent / "another-server"
    data, kind = run(
        std, lambda conn: actions.photo(conn, hq, elsewhere, hashlib.sha256(PNG).hexdigest())
    )
    assert (data, kind) == (PNG, "image/png")
    assert not [p for p in photos_dir.parent.rglob("*") if p.is_file()]


def test_a_photo_kept_as_a_file_before_0020_is_still_served_and_gets_its_row_content(
    std, photos_dir
):
    audit = start(std)
    digest = _attach(std, photos_dir, audit, JPEG)["sha256"]
    # As migration 0020 leaves an older photo: its row without content, and its file.
    with std.begin() as conn:
        conn.execute(
            update(standards_photos).where(standards_photos.c.sha256 == digest).values(content=None)
        )
    path_of(photos_dir, digest).parent.mkdir(parents=True)
    path_of(photos_dir, digest).write_bytes(JPEG)
    hq = person(std, "hq")
    assert run(std, lambda conn: actions.photo(conn, hq, photos_dir, digest)) == (
        JPEG,
        "image/jpeg",
    )
    # Its file gone, it is not found; uploaded again, its bytes go into its row.
    path_of(photos_dir, digest).unlink()
    with pytest.raises(NotFound):
        run(std, lambda conn: actions.photo(conn, hq, photos_dir, digest))
    again = _attach(std, photos_dir, audit, JPEG, code="decor.sign")
    assert (again["new"], again["attached"]) == (False, True)
    assert _content(std, digest) == JPEG
    assert run(std, lambda conn: actions.photo(conn, hq, photos_dir, digest))[0] == JPEG


def test_the_same_photo_uploaded_twice_is_stored_once(std, photos_dir):
    audit = start(std)
    assert _attach(std, photos_dir, audit, JPEG)["new"] is True
    again = _attach(std, photos_dir, audit, JPEG, name="again.jpg")
    assert (again["new"], again["attached"]) == (False, False)
    # On another item it is attached, still stored once.
    other = _attach(std, photos_dir, audit, JPEG, code="decor.sign")
    assert (other["new"], other["attached"]) == (False, True)
    with std.connect() as conn:
        assert conn.execute(select(func.count()).select_from(standards_photos)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(standards_audit_photos)).scalar() == 2
    assert not photos_dir.exists()


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"%PDF-1.7 not a photo", "report.pdf", "not a JPEG, PNG or WebP image"),
        (b"just some text, named like a photo", "fake.jpg", "not a JPEG, PNG or WebP image"),
        (b"GIF89a" + bytes(50), "anim.gif", "not a JPEG, PNG or WebP image"),
        (b"", "empty.jpg", "is empty"),
    ],
)
def test_a_file_that_is_not_an_image_is_refused_naming_the_field(
    std, photos_dir, data, name, reason
):
    audit = start(std)
    with pytest.raises(Refused) as refused:
        _attach(std, photos_dir, audit, data, name=name)
    problem = refused.value.problems[0]
    assert problem.field == "photo" and reason in problem.reason
    assert not [p for p in photos_dir.rglob("*") if p.is_file()]
    with std.connect() as conn:
        assert conn.execute(select(func.count()).select_from(standards_photos)).scalar() == 0


def test_an_oversize_photo_is_refused_naming_the_field_and_the_limit(std, photos_dir):
    audit = start(std)
    big = JPEG + bytes(2000)
    with pytest.raises(Refused) as refused:
        _attach(std, photos_dir, audit, big, limit=1024)
    problem = refused.value.problems[0]
    assert problem.field == "photo"
    assert "over the limit of 1,024 bytes" in problem.reason
    assert not [p for p in photos_dir.rglob("*") if p.is_file()]


def test_no_photo_is_attached_to_a_submitted_audit(std, photos_dir):
    audit = start(std)
    score_all(std, audit, ALL_PASS)
    submit(std, audit)
    with pytest.raises(StatusConflict):
        _attach(std, photos_dir, audit, JPEG)
