"""Audits of stores: starting one under a template's newest version, scoring its items
(pass/fail or a score, with a note), attaching photos to items, reading and listing.

An audit keeps the template version it was started under. Scores and photos change
only while it is started (storenet.standards.status submits or cancels it). Every write
is audited in the caller's transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, insert, select, update

from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, Refused
from storenet.standards import photos
from storenet.standards.corrective import list_actions
from storenet.standards.status import StatusConflict, add_transition, lock_audit, transitions
from storenet.standards.templates import latest_version, version_items
from storenet.store.clock import utc_now
from storenet.store.schema import (
    standards_audit_photos,
    standards_audits,
    standards_items,
    standards_results,
    standards_template_versions,
    standards_templates,
    stores,
)

MAX_NOTE = 2000
MAX_PHOTOS_PER_ITEM = 20


def start_audit(conn: Connection, *, store_id: str, template_id: str, by: str) -> dict:
    """Start an audit of `store_id` under template `template_id`'s newest version, as
    `by`: status started, its first transition, one audit entry. Refused naming the
    field for an unknown store or template. Answers {"id", "store_id", "template_id",
    "version", "status"}."""
    problems = []
    if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first() is None:
        problems.append(Problem("store_id", "is not a known store", value=store_id))
    version = latest_version(conn, template_id) if isinstance(template_id, str) else None
    if version is None:
        problems.append(Problem("template_id", "is not a known template", value=template_id))
    if problems:
        raise Refused(problems)
    assert version is not None
    audit_id = f"SA-{uuid.uuid4().hex[:12]}"
    now = utc_now()
    conn.execute(
        insert(standards_audits).values(
            id=audit_id,
            store_id=store_id,
            version_id=version["id"],
            status="started",
            auditor=by,
            started_at=now,
        )
    )
    add_transition(conn, audit_id, "", "started", by, now)
    record(
        conn,
        by,
        "standards.start",
        f"standards-audit:{audit_id}",
        None,
        {"store": store_id, "template": template_id, "version": version["version"]},
    )
    return {
        "id": audit_id,
        "store_id": store_id,
        "template_id": template_id,
        "version": version["version"],
        "status": "started",
    }


def _item(conn: Connection, audit: dict, code: str) -> dict:
    i = standards_items
    row = conn.execute(
        select(i).where(i.c.version_id == audit["version_id"], i.c.code == code)
    ).first()
    if row is None:
        raise Refused([Problem("code", "is not an item of this audit's checklist", value=code)])
    return row._asdict()


def score_item(
    conn: Connection,
    audit_id: str,
    code: str,
    *,
    by: str,
    passed: bool | None = None,
    score: int | None = None,
    note: str = "",
) -> dict:
    """Score item `code` of started audit `audit_id` as `by` (a re-score replaces the
    last): a pass_fail item takes `passed` (true/false), a score item `score` (0 to its
    max_score; it passes at its pass_mark or more). `note` up to 2000 characters.
    Refused naming the field; StatusConflict when the audit is no longer started;
    NotFound. Answers {"code", "score", "max_score", "passed"}."""
    row = lock_audit(conn, audit_id)
    if row["status"] != "started":
        raise StatusConflict(audit_id, row["status"], "score")
    item = _item(conn, row, code)
    note = note.strip() if isinstance(note, str) else ""
    problems = []
    if len(note) > MAX_NOTE or "\x00" in note:
        problems.append(Problem("note", f"must be at most {MAX_NOTE} characters, without NUL"))
    if item["scoring"] == "pass_fail":
        if not isinstance(passed, bool) or score is not None:
            problems.append(Problem("passed", "is required (true or false) for a pass/fail item"))
        value = int(bool(passed))
    else:
        if (
            isinstance(score, bool)
            or not isinstance(score, int)
            or not 0 <= score <= item["max_score"]
        ):
            problems.append(
                Problem(
                    "score", f"must be a whole number from 0 to {item['max_score']}", value=score
                )
            )
        value = score if isinstance(score, int) else 0
        passed = value >= item["pass_mark"]
    if problems:
        raise Refused(problems)
    r = standards_results
    key = (r.c.audit_id == audit_id) & (r.c.item_id == item["id"])
    before = conn.execute(select(r.c.score, r.c.passed, r.c.note).where(key)).first()
    values = {
        "score": value,
        "passed": bool(passed),
        "note": note,
        "scored_at": utc_now(),
        "scored_by": by,
    }
    if before is None:
        conn.execute(insert(r).values(audit_id=audit_id, item_id=item["id"], **values))
    else:
        conn.execute(update(r).where(key).values(**values))
    record(
        conn,
        by,
        "standards.score",
        f"standards-audit:{audit_id}",
        None if before is None else {"item": code, "score": before.score, "passed": before.passed},
        {"item": code, "score": value, "passed": bool(passed), **({"note": note} if note else {})},
    )
    return {"code": code, "score": value, "max_score": item["max_score"], "passed": bool(passed)}


def attach_photo(
    conn: Connection,
    audit_id: str,
    code: str,
    data: bytes,
    *,
    by: str,
    name: str = "",
    field: str = "photo",
    limit: int = photos.MAX_BYTES,
) -> dict:
    """Attach photo `data` to item `code` of started audit `audit_id`, as `by`: checked
    and stored once by content (storenet.standards.photos); the same photo on the same
    item again changes nothing. Refused naming `field` (not an image, too big, empty)
    or `code`; StatusConflict when the audit is no longer started; NotFound. Answers
    {"sha256", "media_type", "size", "new", "attached"}."""
    row = lock_audit(conn, audit_id)
    if row["status"] != "started":
        raise StatusConflict(audit_id, row["status"], "attach a photo to")
    item = _item(conn, row, code)
    name = (name or "").strip()[:200].replace("\x00", "")
    p = standards_audit_photos
    here = (p.c.audit_id == audit_id) & (p.c.item_id == item["id"])
    already = conn.execute(select(p.c.sha256).where(here)).scalars().all()
    stored = photos.store_photo(conn, data, by, field, limit)
    if stored["sha256"] in already:
        return {**stored, "attached": False}
    if len(already) >= MAX_PHOTOS_PER_ITEM:
        raise Refused([Problem(field, f"an item keeps at most {MAX_PHOTOS_PER_ITEM} photos")])
    conn.execute(
        insert(p).values(
            audit_id=audit_id,
            item_id=item["id"],
            sha256=stored["sha256"],
            name=name,
            attached_at=utc_now(),
            attached_by=by,
        )
    )
    record(
        conn,
        by,
        "standards.photo",
        f"standards-audit:{audit_id}",
        None,
        {"item": code, "sha256": stored["sha256"], "size": stored["size"]},
    )
    return {**stored, "attached": True}


def audit_store(conn: Connection, audit_id: str) -> str:
    """The store of audit `audit_id` (for the caller's access check). NotFound."""
    store = conn.execute(
        select(standards_audits.c.store_id).where(standards_audits.c.id == audit_id)
    ).scalar()
    if store is None:
        raise NotFound("standards audit", audit_id)
    return store


def photo_stores(conn: Connection, sha256: str) -> set[str]:
    """The stores whose audits the photo `sha256` is attached to."""
    p, a = standards_audit_photos, standards_audits
    q = select(a.c.store_id).join(p, p.c.audit_id == a.c.id).where(p.c.sha256 == sha256)
    return set(conn.execute(q).scalars())


def get_audit(conn: Connection, audit_id: str) -> dict:
    """The audit: its fields, store name, template (id, name, version), its items in
    checklist order each with its result (score, passed, note, scored_at, scored_by;
    None when not scored) and photos (sha256, name), its transitions and the corrective
    actions it opened or closed. NotFound."""
    a, v, t = standards_audits, standards_template_versions, standards_templates
    row = conn.execute(
        select(
            a,
            stores.c.name.label("store_name"),
            v.c.template_id,
            v.c.version,
            t.c.name.label("template_name"),
        )
        .join(stores, stores.c.id == a.c.store_id)
        .join(v, v.c.id == a.c.version_id)
        .join(t, t.c.id == v.c.template_id)
        .where(a.c.id == audit_id)
    ).first()
    if row is None:
        raise NotFound("standards audit", audit_id)
    doc = row._asdict()
    r, p = standards_results, standards_audit_photos
    results = {
        x.item_id: x._asdict() for x in conn.execute(select(r).where(r.c.audit_id == audit_id))
    }
    pictures: dict[int, list[dict]] = {}
    for x in conn.execute(
        select(p.c.item_id, p.c.sha256, p.c.name)
        .where(p.c.audit_id == audit_id)
        .order_by(p.c.attached_at)
    ):
        pictures.setdefault(x.item_id, []).append({"sha256": x.sha256, "name": x.name})
    items = []
    for item in version_items(conn, doc["version_id"]):
        got = results.get(item["id"])
        items.append(
            {
                **{
                    k: item[k]
                    for k in (
                        "code",
                        "section",
                        "text",
                        "weight",
                        "scoring",
                        "max_score",
                        "pass_mark",
                        "due_days",
                    )
                },
                "result": None
                if got is None
                else {k: got[k] for k in ("score", "passed", "note", "scored_at", "scored_by")},
                "photos": pictures.get(item["id"], []),
            }
        )
    doc["items"] = items
    doc["scored"] = sum(1 for i in items if i["result"] is not None)
    doc["transitions"] = transitions(conn, audit_id)
    related = list_actions(conn, None, store_id=doc["store_id"], limit=1000)
    doc["actions_opened"] = [x for x in related if x["opened_by_audit"] == audit_id]
    doc["actions_closed"] = [x for x in related if x["closed_by_audit"] == audit_id]
    return doc


def list_audits(
    conn: Connection,
    stores_seen: set[str] | None,
    *,
    store_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Audits of the stores in `stores_seen` (None: every store), newest first,
    `limit` + 1 rows: id, store_id, store_name, template_id, version, status, auditor,
    started_at, submitted_at, score_bp."""
    a, v = standards_audits, standards_template_versions
    q = (
        select(
            a.c.id,
            a.c.store_id,
            stores.c.name.label("store_name"),
            v.c.template_id,
            v.c.version,
            a.c.status,
            a.c.auditor,
            a.c.started_at,
            a.c.submitted_at,
            a.c.score_bp,
        )
        .join(stores, stores.c.id == a.c.store_id)
        .join(v, v.c.id == a.c.version_id)
    )
    if stores_seen is not None:
        q = q.where(a.c.store_id.in_(sorted(stores_seen)))
    if store_id is not None:
        q = q.where(a.c.store_id == store_id)
    if status is not None:
        q = q.where(a.c.status == status)
    q = q.order_by(a.c.started_at.desc(), a.c.id).limit(limit + 1).offset(offset)
    return [r._asdict() for r in conn.execute(q)]
