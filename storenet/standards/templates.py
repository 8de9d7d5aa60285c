"""Checklist templates and their versions.

A template's id is its key. Its content (name aside) lives in versions: saving a
template whose items differ from its latest version adds version n + 1, and saving the
same items again changes nothing (the same version is answered). An audit keeps the
version it was started under, so editing a template never changes a past audit.

An item: `section` (decor, display, service, cleanliness, staff), `code` (names the item
across versions: a corrective action is closed by a later audit passing the same code),
`text`, `weight` (1-100, its share of the score), `scoring` (pass_fail, or score: 0 to
`max_score`, passing at `pass_mark` or more) and `due_days` (a failed item's corrective
action is due that many days after the audit).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, func, insert, select

from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, Refused
from storenet.store.clock import utc_now
from storenet.store.locks import lock_name
from storenet.store.schema import standards_items, standards_template_versions, standards_templates

SECTIONS = ("decor", "display", "service", "cleanliness", "staff")
SCORINGS = ("pass_fail", "score")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_ITEMS = 300
DEFAULT_DUE_DAYS = 14
ITEM_FIELDS = ("section", "code", "text", "weight", "scoring", "max_score", "pass_mark", "due_days")


def _whole(value: object, field: str, low: int, high: int, where: str, problems: list) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(
            Problem(field, f"must be a whole number from {low} to {high}", where, value)
        )
        return low
    return value


def check_items(items: object) -> list[dict]:
    """The checklist `items` (a list of dicts) made whole: defaults filled (weight 1,
    scoring pass_fail, max_score 1 or required for score items, pass_mark = max_score,
    due_days 14). Refused naming each bad field as items[i].<field>; duplicate codes
    refused. Guarantees 1..300 items, each valid for the schema's CHECKs."""
    if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
        raise Refused([Problem("items", f"must be a list of 1 to {MAX_ITEMS} items")])
    problems: list[Problem] = []
    made: list[dict] = []
    seen: set[str] = set()
    for n, raw in enumerate(items):
        where = f"items[{n}]"
        if not isinstance(raw, dict):
            problems.append(Problem("item", "must be an object", where))
            continue
        section = raw.get("section")
        if section not in SECTIONS:
            problems.append(
                Problem("section", f"must be one of {', '.join(SECTIONS)}", where, section)
            )
        code = raw.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            problems.append(
                Problem("code", "must be 1-64 letters, digits, '.', '_' or '-'", where, code)
            )
        elif code in seen:
            problems.append(Problem("code", "is used by an earlier item", where, code))
        else:
            seen.add(code)
        text = raw.get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not text or len(text) > 500 or "\x00" in text:
            problems.append(
                Problem("text", "is required: 1-500 characters", where, raw.get("text"))
            )
        scoring = raw.get("scoring", "pass_fail")
        if scoring not in SCORINGS:
            problems.append(Problem("scoring", "must be pass_fail or score", where, scoring))
        weight = _whole(raw.get("weight", 1), "weight", 1, 100, where, problems)
        if scoring == "score":
            top = _whole(raw.get("max_score"), "max_score", 1, 100, where, problems)
            mark = _whole(raw.get("pass_mark", top), "pass_mark", 1, top, where, problems)
        else:
            top = mark = 1
            for extra in ("max_score", "pass_mark"):
                if raw.get(extra) not in (None, 1):
                    problems.append(Problem(extra, "is only for score items", where, raw[extra]))
        due = _whole(raw.get("due_days", DEFAULT_DUE_DAYS), "due_days", 0, 365, where, problems)
        made.append(
            {
                "section": section,
                "code": code,
                "text": text,
                "weight": weight,
                "scoring": scoring,
                "max_score": top,
                "pass_mark": mark,
                "due_days": due,
            }
        )
    if problems:
        raise Refused(problems)
    return made


def _text(value: object, field: str, limit: int, required: bool = True) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    if (required and not cleaned) or len(cleaned) > limit or "\x00" in cleaned:
        raise Refused([Problem(field, f"must be {int(required)}-{limit} characters", value=value)])
    return cleaned


def save_template(
    conn: Connection, *, template_id: str, name: str, items: object, by: str, note: str = ""
) -> dict:
    """Create template `template_id` or give it a new version, as `by`, in the caller's
    transaction. Items equal to the latest version's (same order, same fields) change
    nothing and answer that version with "created": False. Otherwise a version n + 1
    with these items and one audit entry ("standards.template"). Refused naming the
    field for bad input, nothing written. Answers {"id", "version", "created"}."""
    if not isinstance(template_id, str) or not CODE.match(template_id):
        raise Refused(
            [Problem("id", "must be 1-64 letters, digits, '.', '_' or '-'", value=template_id)]
        )
    name = _text(name, "name", 200)
    note = _text(note, "note", 500, required=False)
    made = check_items(items)
    lock_name(conn, f"standards-template:{template_id}")
    now = utc_now()
    t = standards_templates
    if conn.execute(select(t.c.id).where(t.c.id == template_id)).first() is None:
        conn.execute(insert(t).values(id=template_id, name=name, created_at=now, created_by=by))
    latest = latest_version(conn, template_id)
    if latest is not None and _content(version_items(conn, latest["id"])) == _content(made):
        return {"id": template_id, "version": latest["version"], "created": False}
    number = 1 if latest is None else latest["version"] + 1
    version_id = conn.execute(
        insert(standards_template_versions)
        .values(template_id=template_id, version=number, note=note, created_at=now, created_by=by)
        .returning(standards_template_versions.c.id)
    ).scalar_one()
    conn.execute(
        insert(standards_items),
        [{"version_id": version_id, "position": n, **item} for n, item in enumerate(made)],
    )
    if latest is not None and name:
        conn.execute(t.update().where(t.c.id == template_id).values(name=name))
    record(
        conn,
        by,
        "standards.template",
        f"standards-template:{template_id}",
        None if latest is None else {"version": latest["version"]},
        {"version": number, "name": name, "items": len(made), **({"note": note} if note else {})},
    )
    return {"id": template_id, "version": number, "created": True}


def _content(items: list[dict]) -> list[tuple]:
    return [tuple(item[f] for f in ITEM_FIELDS) for item in items]


def latest_version(conn: Connection, template_id: str) -> dict | None:
    """The template's newest version {id, version, note, created_at, created_by}, or
    None when it has none."""
    v = standards_template_versions
    row = conn.execute(
        select(v.c.id, v.c.version, v.c.note, v.c.created_at, v.c.created_by)
        .where(v.c.template_id == template_id)
        .order_by(v.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else row._asdict()


def version_items(conn: Connection, version_id: int) -> list[dict]:
    """The items of one version, in checklist order: id, position and ITEM_FIELDS."""
    i = standards_items
    q = select(i).where(i.c.version_id == version_id).order_by(i.c.position)
    return [r._asdict() for r in conn.execute(q)]


def get_template(conn: Connection, template_id: str, version: int | None = None) -> dict:
    """Template `template_id` at `version` (default: the newest): id, name, version,
    version_id, note, created_at, created_by, items, and `versions` (every version's
    number, date and author, newest first). NotFound for an unknown template or
    version."""
    t, v = standards_templates, standards_template_versions
    head = conn.execute(select(t).where(t.c.id == template_id)).first()
    if head is None:
        raise NotFound("standards template", template_id)
    versions = [
        r._asdict()
        for r in conn.execute(
            select(v.c.id, v.c.version, v.c.note, v.c.created_at, v.c.created_by)
            .where(v.c.template_id == template_id)
            .order_by(v.c.version.desc())
        )
    ]
    chosen = (
        versions[0]
        if version is None
        else next((x for x in versions if x["version"] == version), None)
    )
    if chosen is None:
        raise NotFound("standards template version", f"{template_id} v{version}")
    return {
        "id": template_id,
        "name": head.name,
        "version": chosen["version"],
        "version_id": chosen["id"],
        "note": chosen["note"],
        "created_at": chosen["created_at"],
        "created_by": chosen["created_by"],
        "items": version_items(conn, chosen["id"]),
        "versions": [
            {k: x[k] for k in ("version", "note", "created_at", "created_by")} for x in versions
        ],
    }


def list_templates(conn: Connection) -> list[dict]:
    """Every template with its newest version number and its item count, by id."""
    t, v, i = standards_templates, standards_template_versions, standards_items
    newest = (
        select(v.c.template_id, func.max(v.c.version).label("version"))
        .group_by(v.c.template_id)
        .subquery()
    )
    counted = (
        select(v.c.template_id, v.c.version, func.count(i.c.id).label("items"))
        .join(i, i.c.version_id == v.c.id)
        .group_by(v.c.template_id, v.c.version)
        .subquery()
    )
    q = (
        select(t.c.id, t.c.name, newest.c.version, counted.c["items"])
        .join(newest, newest.c.template_id == t.c.id)
        .join(
            counted,
            (counted.c.template_id == t.c.id) & (counted.c.version == newest.c.version),
        )
        .order_by(t.c.id)
    )
    return [r._asdict() for r in conn.execute(q)]
