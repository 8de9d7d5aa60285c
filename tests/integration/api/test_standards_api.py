"""Store standards over HTTP: a checklist, an audit by an assigned standards auditor
with photos, submission, corrective actions raised when overdue, the store's score; a
franchise owner sees his own stores only."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from storenet.standards.photos import MAX_BYTES
from storenet.store.schema import standards_actions
from tests.integration.api.conftest import Api

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300)
ITEMS = [
    {"section": "decor", "code": "decor.sign", "text": "Sign lit"},
    {
        "section": "cleanliness",
        "code": "clean.floor",
        "text": "Floor clean",
        "weight": 3,
        "due_days": 2,
    },
    {
        "section": "staff",
        "code": "staff.uniform",
        "text": "Uniforms",
        "scoring": "score",
        "max_score": 4,
        "pass_mark": 3,
    },
]


def _setup(api: Api, store: str = "S2") -> str:
    with api.client("planner") as c:
        r = c.put(
            "/standards/templates/std",
            json={"name": "Standard", "items": ITEMS},
            headers={"Idempotency-Key": "tpl"},
        )
        assert r.status_code == 201, r.text
    with api.client("admin") as c:
        r = c.post(
            "/standards/assignments",
            json={"auditor": "std_aud", "region_id": "EAST"},
            headers={"Idempotency-Key": "assign"},
        )
        assert r.json()["created"] is True, r.text
    with api.client("std_aud") as c:
        r = c.post(
            "/standards/audits",
            json={"store_id": store, "template_id": "std"},
            headers={"Idempotency-Key": f"visit-{store}"},
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]


def test_an_audit_over_http_from_start_to_overdue_actions(api):
    audit = _setup(api)
    with api.client("std_aud") as c:
        for code, body in (
            ("decor.sign", {"passed": True}),
            ("clean.floor", {"passed": False, "note": "dust"}),
            ("staff.uniform", {"score": 3}),
        ):
            r = c.put(
                f"/standards/audits/{audit}/items/{code}",
                json=body,
                headers={"Idempotency-Key": f"score-{code}"},
            )
            assert r.status_code == 200, r.text
        r = c.post(
            f"/standards/audits/{audit}/items/clean.floor/photos?name=floor.jpg", content=JPEG
        )
        assert r.status_code == 201 and r.json()["sha256"] == hashlib.sha256(JPEG).hexdigest()
        again = c.post(f"/standards/audits/{audit}/items/clean.floor/photos", content=JPEG)
        assert again.status_code == 200 and again.json()["new"] is False
        r = c.post(
            f"/standards/audits/{audit}/status",
            json={"action": "submit"},
            headers={"Idempotency-Key": "submit"},
        )
        assert r.status_code == 200, r.text
        # 1 + 0 + 1 * 3/4 = 1.75 of 5
        assert r.json()["score_bp"] == 3500 and len(r.json()["opened"]) == 1
        r = c.post(
            f"/standards/audits/{audit}/status",
            json={"action": "cancel", "reason": "late"},
            headers={"Idempotency-Key": "cancel"},
        )
        assert r.status_code == 409 and "is submitted" in r.text
        assert c.get("/standards/actions/overdue").json()["items"] == []
    # Three days pass: the floor's action (due in 2) is overdue.
    a = standards_actions
    with api.engine.begin() as conn:
        for action_id, due in conn.execute(select(a.c.id, a.c.due_on)).all():
            conn.execute(
                update(a).where(a.c.id == action_id).values(due_on=due - timedelta(days=3))
            )
    with api.client("fr_f1") as c:  # F1 owns S2
        overdue = c.get("/standards/actions/overdue").json()["items"]
        assert [(a["store_id"], a["item_code"], a["overdue"]) for a in overdue] == [
            ("S2", "clean.floor", True)
        ]
        standing = c.get("/standards/stores/S2").json()
        assert standing["score_bp"] == 3500 and standing["overdue_actions"] == 1
        doc = c.get(f"/standards/audits/{audit}").json()
        photo = doc["items"][1]["photos"][0]
        assert photo["name"] == "floor.jpg"
        got = c.get(f"/standards/photos/{photo['sha256']}")
        assert got.status_code == 200 and got.content == JPEG
        assert got.headers["content-type"] == "image/jpeg"
    with api.client("fr_f2") as c:  # F2 owns S3: none of this
        assert c.get(f"/standards/audits/{audit}").status_code == 404
        assert c.get(f"/standards/photos/{photo['sha256']}").status_code == 404
        assert c.get("/standards/audits").json()["items"] == []
        assert c.get("/standards/actions/overdue").json()["items"] == []


def test_photo_uploads_are_refused_by_content_and_size_naming_the_field(api):
    audit = _setup(api)
    with api.client("std_aud") as c:
        url = f"/standards/audits/{audit}/items/decor.sign/photos"
        fake = c.post(
            url + "?name=holiday.jpg",
            content=b"this is text, named .jpg",
            headers={"Content-Type": "image/jpeg"},
        )
        assert fake.status_code == 422
        problem = fake.json()["problems"][0]
        assert problem["field"] == "photo" and "not a JPEG, PNG or WebP" in problem["reason"]
        big = c.post(url, content=JPEG + bytes(MAX_BYTES))
        assert big.status_code == 422
        assert "over the limit" in big.json()["problems"][0]["reason"]
        assert c.get(f"/standards/audits/{audit}").json()["items"][0]["photos"] == []


def test_an_auditor_cannot_audit_a_store_not_assigned_to_him(api):
    _setup(api)
    with api.client("std_aud") as c:
        r = c.post(
            "/standards/audits",
            json={"store_id": "S3", "template_id": "std"},
            headers={"Idempotency-Key": "west"},
        )
        assert r.status_code == 404
        assert c.get("/standards/stores/S3").status_code == 404
