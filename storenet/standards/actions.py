"""The standards actions people take, each behind its access check, in the caller's
transaction: keep checklists, start, score, photograph, submit or cancel audits, read
audits, corrective actions and store scores, assign auditors.

Function scope is the policy's standards.* actions (storenet.accounts.roles); object
scope is the store's: a franchise owner sees his own stores' audits, a standards
auditor those of the stores assigned to him, a regional manager his regions'. An audit
outside the caller's scope answers exactly as one that does not exist. Writes run
once per (caller, key): a replay answers the first result and writes nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Connection

from storenet.accounts.access import answered_as, require
from storenet.accounts.principal import Principal
from storenet.accounts.roles import allowed
from storenet.accounts.scope import visible_stores
from storenet.errors import NotFound
from storenet.ledger.idempotency import run_once
from storenet.standards import assignments, audits, corrective, history, photos, status, templates

SCOPE = "standards"


def _once(conn: Connection, who: Principal, key: str, payload: dict, work) -> dict:  # type: ignore[no-untyped-def]
    return run_once(conn, SCOPE, who.key_prefix + key, payload, work)


def _audit_in_scope(conn: Connection, who: Principal, action: str, audit_id: str) -> str:
    """The audit's store once `who` may do `action` there; an audit outside the
    caller's scope answers as a missing one."""
    require(conn, who, action)
    with answered_as("standards audit", audit_id):
        store_id = audits.audit_store(conn, audit_id)
        require(conn, who, action, locations=[store_id])
    return store_id


# -- templates ---------------------------------------------------------------------------


def list_templates(conn: Connection, who: Principal) -> list[dict]:
    """Every checklist template (standards.read: the checklists are the brand's)."""
    require(conn, who, "standards.read")
    return templates.list_templates(conn)


def read_template(
    conn: Connection, who: Principal, template_id: str, version: int | None = None
) -> dict:
    """One template at a version (standards.read). NotFound."""
    require(conn, who, "standards.read")
    return templates.get_template(conn, template_id, version)


def save_template(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    template_id: str,
    name: str,
    items: list,
    note: str = "",
) -> dict:
    """Create a template or give it a new version (standards.template), once per key
    (storenet.standards.templates.save_template)."""
    require(conn, who, "standards.template")
    payload = {"cmd": "template", "id": template_id, "name": name, "items": items, "note": note}
    return _once(
        conn,
        who,
        key,
        payload,
        lambda: templates.save_template(
            conn, template_id=template_id, name=name, items=items, by=who.username, note=note
        ),
    )


# -- audits ------------------------------------------------------------------------------


def start(conn: Connection, who: Principal, *, key: str, store_id: str, template_id: str) -> dict:
    """Start an audit of `store_id` (standards.audit, in the caller's scope), once per
    key (storenet.standards.audits.start_audit)."""
    require(conn, who, "standards.audit")
    with answered_as("store", store_id):
        require(conn, who, "standards.audit", locations=[store_id])
    return _once(
        conn,
        who,
        key,
        {"cmd": "start", "store": store_id, "template": template_id},
        lambda: audits.start_audit(
            conn, store_id=store_id, template_id=template_id, by=who.username
        ),
    )


def score(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    audit_id: str,
    code: str,
    passed: bool | None = None,
    score: int | None = None,
    note: str = "",
) -> dict:
    """Score one item of an audit (standards.audit), once per key
    (storenet.standards.audits.score_item)."""
    _audit_in_scope(conn, who, "standards.audit", audit_id)
    payload = {
        "cmd": "score",
        "id": audit_id,
        "code": code,
        "passed": passed,
        "score": score,
        "note": note,
    }
    return _once(
        conn,
        who,
        key,
        payload,
        lambda: audits.score_item(
            conn, audit_id, code, by=who.username, passed=passed, score=score, note=note
        ),
    )


def attach_photo(
    conn: Connection,
    who: Principal,
    *,
    audit_id: str,
    code: str,
    data: bytes,
    name: str = "",
    field: str = "photo",
    limit: int = photos.MAX_BYTES,
) -> dict:
    """Attach a photo to one item of an audit (standards.audit). Its content is its
    key: the same photo again stores nothing and attaches nothing more
    (storenet.standards.audits.attach_photo)."""
    _audit_in_scope(conn, who, "standards.audit", audit_id)
    return audits.attach_photo(
        conn, audit_id, code, data, by=who.username, name=name, field=field, limit=limit
    )


def change(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    audit_id: str,
    action: str,
    today: date,
    reason: str = "",
) -> dict:
    """Submit or cancel an audit (standards.audit), once per key
    (storenet.standards.status.change_status)."""
    _audit_in_scope(conn, who, "standards.audit", audit_id)
    return _once(
        conn,
        who,
        key,
        {"cmd": action, "id": audit_id, "reason": reason},
        lambda: status.change_status(
            conn, audit_id, action, who.username, today=today, reason=reason
        ),
    )


def read(conn: Connection, who: Principal, audit_id: str) -> dict:
    """One audit with its items, results, photos, transitions and the corrective
    actions it opened or closed (standards.read). NotFound."""
    _audit_in_scope(conn, who, "standards.read", audit_id)
    return audits.get_audit(conn, audit_id)


def list_audits(
    conn: Connection,
    who: Principal,
    *,
    store_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Audits of the stores `who` sees, newest first (standards.read)."""
    require(conn, who, "standards.read")
    return audits.list_audits(
        conn,
        visible_stores(conn, who),
        store_id=store_id,
        status=status,
        limit=limit,
        offset=offset,
    )


def photo(conn: Connection, who: Principal, folder: Path, sha256: str) -> tuple[bytes, str]:
    """A photo's bytes and media type (standards.read), when it is attached to an audit
    of a store `who` sees; NotFound otherwise, as for a photo that does not exist."""
    require(conn, who, "standards.read")
    seen = visible_stores(conn, who)
    places = audits.photo_stores(conn, sha256)
    if not places or (seen is not None and not places & seen):
        raise NotFound("photo", sha256)
    return photos.read_photo(conn, folder, sha256)


# -- corrective actions and scores -------------------------------------------------------


def list_actions(
    conn: Connection,
    who: Principal,
    *,
    today: date,
    store_id: str | None = None,
    status: str | None = None,
    only_overdue: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Corrective actions of the stores `who` sees (standards.read), each flagged
    overdue when open after its due date (`today`: the market's day)."""
    require(conn, who, "standards.read")
    return corrective.list_actions(
        conn,
        visible_stores(conn, who),
        store_id=store_id,
        status=status,
        today=today,
        only_overdue=only_overdue,
        limit=limit,
        offset=offset,
    )


def store_standing(conn: Connection, who: Principal, store_id: str, today: date) -> dict:
    """A store's standards score, its history and its open and overdue corrective
    actions (standards.read, in scope; else answered as an unknown store)."""
    with answered_as("store", store_id):
        require(conn, who, "standards.read", locations=[store_id])
    return history.store_standing(conn, store_id, today)


def latest_scores(conn: Connection, who: Principal) -> list[dict]:
    """Each store's latest score, of the stores `who` sees (standards.read)."""
    require(conn, who, "standards.read")
    return history.latest_scores(conn, visible_stores(conn, who))


def overview(conn: Connection, who: Principal, today: date) -> dict | None:
    """The overview's standards figures for the stores `who` sees
    (storenet.standards.history.summary); None when `who` may not read standards."""
    if not allowed(who.role, "standards.read"):
        return None
    return history.summary(conn, visible_stores(conn, who), today)


# -- auditors' stores --------------------------------------------------------------------


def assign(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    auditor: str,
    store_id: str | None = None,
    region_id: str | None = None,
    end: bool = False,
) -> dict:
    """Assign (or, `end`, stop assigning) a store or region to a standards auditor
    (standards.assign), once per key (storenet.standards.assignments)."""
    require(conn, who, "standards.assign")
    work = assignments.unassign if end else assignments.assign
    return _once(
        conn,
        who,
        key,
        {
            "cmd": "unassign" if end else "assign",
            "auditor": auditor,
            "store": store_id,
            "region": region_id,
        },
        lambda: work(
            conn, auditor=auditor, by=who.username, store_id=store_id, region_id=region_id
        ),
    )
