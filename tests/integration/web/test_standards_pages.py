"""The console's standards pages over HTTP: an assigned standards auditor audits his
store through the form (a bad score and a non-image refused next to their items, with
nothing saved), submits it; another franchisee's owner gets 404 for the audit, its
photo and the store's standing; the store page and the overview show the score."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from storenet.accounts.users import create_user
from storenet.standards.assignments import assign
from storenet.standards.templates import save_template
from storenet.store.engine import unit_of_work
from storenet.store.schema import standards_audits, standards_results, store_owners
from tests.integration.web.conftest import PASSWORD

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100)
ITEMS = [
    {"section": "decor", "code": "decor.sign", "text": "Sign lit"},
    {
        "section": "display",
        "code": "display.facing",
        "text": "Faced",
        "scoring": "score",
        "max_score": 5,
        "pass_mark": 4,
    },
]


def _seed(console) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The checklist and std_aud assigned to the owner's store; (that store, a store
    of another franchisee or None)."""
    store = console.people["owner"]["store"]
    franchisee = console.people["owner"]["franchisee_id"]

    def work(conn):  # type: ignore[no-untyped-def]
        save_template(conn, template_id="std", name="Standard", items=ITEMS, by="planner")
        create_user(
            conn, actor="test", username="std_aud", password=PASSWORD, role="standards_auditor"
        )
        assign(conn, auditor="std_aud", by="admin", store_id=store)
        return conn.execute(
            select(store_owners.c.store_id).where(
                store_owners.c.valid_to.is_(None),
                store_owners.c.franchisee_id.is_not(None),
                store_owners.c.franchisee_id != franchisee,
            )
        ).scalar()

    return store, unit_of_work(console.engine, work)


def test_an_audit_through_the_console_pages(console):
    store, other = _seed(console)
    aud = console.sign_in("std_aud")
    started = aud.post(
        "/console/standards/audits", data={"store_id": store, "template_id": "std", "key": "k1"}
    )
    assert started.status_code == 200 and started.headers["HX-Redirect"].startswith(
        "/console/standards/audits/SA-"
    )
    url = started.headers["HX-Redirect"]
    audit = url.rsplit("/", 1)[1]
    page = aud.get(url)
    assert page.status_code == 200 and 'id="audit-form"' in page.text

    refused = aud.post(
        url + "/scores",
        data={"key": "f1", "result-decor.sign": "pass", "result-display.facing": "9"},
        files={"photo-decor.sign": ("sign.jpg", b"not an image at all", "image/jpeg")},
    )
    assert refused.status_code == 422
    assert "not a JPEG, PNG or WebP image" in refused.text
    assert "must be a whole number from 0 to 5" in refused.text
    with console.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(standards_results)).scalar() == 0

    saved = aud.post(
        url + "/scores",
        data={"key": "f2", "result-decor.sign": "pass", "result-display.facing": "2"},
        files={"photo-decor.sign": ("sign.jpg", JPEG, "image/jpeg")},
    )
    assert saved.status_code == 200 and saved.headers["HX-Redirect"] == url
    submitted = aud.post(url + "/status", data={"action": "submit", "key": "s1"})
    assert submitted.status_code == 200, submitted.text
    with console.engine.connect() as conn:
        row = conn.execute(select(standards_audits.c.status, standards_audits.c.score_bp)).one()
    assert tuple(row) == ("submitted", 7000)  # (1 + 1 * 2/5) / (1 + 1) = 70%
    actions = aud.get("/console/standards/actions")
    assert "display.facing" in actions.text

    owner = console.sign_in("owner")
    assert owner.get(f"/console/stores/{store}").text.count('data-kpi="standards_score"') == 1
    assert 'id="standards-h"' in owner.get("/console/").text
    assert owner.get(url).status_code == 200
    assert 'id="audit-form"' not in owner.get(url).text  # owners read, never audit
    assert other is not None, "the console network has a second franchisee"
    # Another franchisee's owner: the audit answers as missing, and lists hide it.
    with console.engine.begin() as conn:
        create_user(
            conn,
            actor="test",
            username="owner2",
            password=PASSWORD,
            role="franchise_owner",
            franchisee_id=conn.execute(
                select(store_owners.c.franchisee_id).where(store_owners.c.store_id == other)
            ).scalar(),
        )
    stranger = console.sign_in("owner2")
    assert stranger.get(url).status_code == 404
    photo = f"/console/standards/photos/{hashlib.sha256(JPEG).hexdigest()}"
    assert owner.get(photo).content == JPEG
    assert stranger.get(photo).status_code == 404
    assert audit not in stranger.get("/console/standards").text
    assert store not in stranger.get("/console/standards/actions").text
