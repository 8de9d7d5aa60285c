"""The console's store standards pages: the audits, one audit (its form while it is
started: made for a phone in a store, one card per item with pass/fail or a score, a
note and photos), the corrective actions (overdue ones first and flagged), the
checklist templates and their versions.

Every write goes through `storenet.standards.actions`, as the API's do, so the page
checks access and scope, writes once per form key and audits the same way (the page
only hides what a role may not use). An audit of a store outside the caller's scope
answers 404 exactly as an unknown one. A refused form comes back with each reason
next to its item (422), with nothing of it saved.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote
from uuid import uuid4
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Query, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from storenet.accounts.roles import allowed
from storenet.errors import Problem, Refused
from storenet.http.service import Service, ServiceDep
from storenet.standards import actions
from storenet.standards.photos import MAX_BYTES
from storenet.standards.score import as_percent
from storenet.standards.templates import SECTIONS
from storenet.web.layout import PREFIX, Offset, Viewer, render, templates

router = APIRouter(include_in_schema=False)

ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
AuditId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID)]
PER_PAGE = 50
BASE = PREFIX + "/standards"

templates.env.filters["score_pct"] = as_percent


def market_today(svc: Service) -> date:
    """Today in the market's time zone (due dates are market days)."""
    return datetime.now(ZoneInfo(svc.settings.market_tz)).date()


def go_to(url: str) -> Response:
    """After a write that worked: htmx loads `url` as a new page (HX-Redirect), so a
    reload shows the saved state and never sends the form again."""
    return Response(status_code=200, headers={"HX-Redirect": url})


def _context(who) -> dict:  # type: ignore[no-untyped-def]
    return {
        "can_audit": allowed(who.role, "standards.audit"),
        "base": BASE,
        "new_key": lambda: uuid4().hex,
        "quote": quote,
        "max_photo_mb": MAX_BYTES // (1024 * 1024),
    }


@router.get(BASE)
def audits_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    store: Annotated[str, Query(max_length=32)] = "",
    status: Annotated[str, Query(pattern="^(|started|submitted|cancelled)$")] = "",
    offset: Offset = 0,
) -> Response:
    """The audits of the stores the caller sees, newest first (standards.read), and
    the form to start one (standards.audit)."""

    def work(conn: Connection):  # type: ignore[no-untyped-def]
        rows = actions.list_audits(
            conn,
            who,
            store_id=store.strip() or None,
            status=status or None,
            limit=PER_PAGE,
            offset=offset,
        )
        return rows, actions.list_templates(conn, who)

    rows, checklists = svc.read(work)
    return render(
        request,
        "standards/audits.html",
        who,
        audits=rows[:PER_PAGE],
        more=len(rows) > PER_PAGE,
        offset=offset,
        page=PER_PAGE,
        wanted={"store": store, "status": status},
        checklists=checklists,
        problems=[],
        **_context(who),
    )


@router.post(BASE + "/audits")
def start_audit(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    store_id: Annotated[str, Form(max_length=32)] = "",
    template_id: Annotated[str, Form(max_length=64)] = "",
    key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Start an audit (standards.audit) and go to its form; a refusal re-renders the
    list with its reasons (422)."""
    try:
        made = svc.write(
            lambda conn: actions.start(
                conn,
                who,
                key="console:" + (key or uuid4().hex),
                store_id=store_id.strip(),
                template_id=template_id,
            )
        )
    except Refused as refused:
        checklists = svc.read(lambda conn: actions.list_templates(conn, who))
        return render(
            request,
            "standards/audits.html",
            who,
            status=422,
            audits=[],
            more=False,
            offset=0,
            page=PER_PAGE,
            wanted={"store": store_id, "status": ""},
            checklists=checklists,
            problems=refused.problems,
            **_context(who),
        )
    return go_to(f"{BASE}/audits/{quote(made['id'])}")


def _audit_page(request, who, svc, audit_id, status=200, problems=(), entered=None):  # type: ignore[no-untyped-def]
    doc = svc.read(lambda conn: actions.read(conn, who, audit_id))
    sections = [(s, [i for i in doc["items"] if i["section"] == s]) for s in SECTIONS]
    by_item: dict[str, list[Problem]] = {}
    general: list[Problem] = []
    for p in problems:
        (by_item.setdefault(p.where, []) if p.where else general).append(p)
    return render(
        request,
        "standards/audit.html",
        who,
        status=status,
        doc=doc,
        sections=[(s, items) for s, items in sections if items],
        item_problems=by_item,
        problems=general,
        entered=entered or {},
        **_context(who),
    )


@router.get(BASE + "/audits/{audit_id}")
def audit_page(request: Request, audit_id: AuditId, who: Viewer, svc: ServiceDep) -> Response:
    """One audit: while started and the caller may audit, its form; else its results,
    photos, transitions and the corrective actions it opened or closed."""
    return _audit_page(request, who, svc, audit_id)


@router.post(BASE + "/audits/{audit_id}/scores")
async def save_scores(
    request: Request, audit_id: AuditId, who: Viewer, svc: ServiceDep
) -> Response:
    """Save the form: for each item a result (`result-<code>`: pass, fail or a score;
    blank leaves it as it was), a note and photos. All or nothing: any refusal saves
    none of it and shows each reason next to its item (422)."""
    form = await request.form(max_files=200, max_fields=2000, max_part_size=MAX_BYTES + 1024)
    key = str(form.get("key") or "")
    entered = {k: v for k, v in form.items() if isinstance(v, str)}
    uploads: list[tuple[str, str, bytes]] = []
    for name, value in form.multi_items():
        if name.startswith("photo-") and isinstance(value, UploadFile) and value.filename:
            uploads.append((name[6:], value.filename, await value.read()))

    def work(conn: Connection) -> None:
        doc = actions.read(conn, who, audit_id)
        problems: list[Problem] = []
        for item in doc["items"]:
            code = item["code"]
            given = str(form.get(f"result-{code}") or "").strip()
            note = str(form.get(f"note-{code}") or "")
            if not given:
                continue
            ask: dict = {}
            if item["scoring"] == "pass_fail":
                ask["passed"] = {"pass": True, "fail": False}.get(given)
            else:
                ask["score"] = int(given) if given.isdigit() else -1
            try:
                actions.score(
                    conn,
                    who,
                    key=f"console:{key}:{code}",
                    audit_id=audit_id,
                    code=code,
                    note=note,
                    **ask,
                )
            except Refused as refused:
                problems += [Problem(p.field, p.reason, code, p.value) for p in refused.problems]
        for code, filename, data in uploads:
            try:
                actions.attach_photo(
                    conn, who, audit_id=audit_id, code=code, data=data, name=filename
                )
            except Refused as refused:
                problems += [
                    Problem(p.field, f"{filename}: {p.reason}", code) for p in refused.problems
                ]
        if problems:
            raise Refused(problems)

    try:
        await _in_thread(svc, work)
    except Refused as refused:
        return _audit_page(request, who, svc, audit_id, 422, refused.problems, entered)
    return go_to(f"{BASE}/audits/{quote(audit_id)}")


async def _in_thread(svc: Service, work) -> None:  # type: ignore[no-untyped-def]
    await run_in_threadpool(svc.write, work)


@router.post(BASE + "/audits/{audit_id}/status")
def audit_status(
    request: Request,
    audit_id: AuditId,
    who: Viewer,
    svc: ServiceDep,
    action: Annotated[str, Form(pattern="^(submit|cancel)$")],
    key: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Submit or cancel the audit (standards.audit); a refusal (items not scored, no
    reason) comes back on the audit's page (422); a conflict is the app's 409 page."""
    today = market_today(svc)
    try:
        svc.write(
            lambda conn: actions.change(
                conn,
                who,
                key="console:" + (key or uuid4().hex),
                audit_id=audit_id,
                action=action,
                today=today,
                reason=reason,
            )
        )
    except Refused as refused:
        return _audit_page(request, who, svc, audit_id, 422, refused.problems)
    return go_to(f"{BASE}/audits/{quote(audit_id)}")


@router.get(BASE + "/photos/{sha256}")
def photo(
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")], who: Viewer, svc: ServiceDep
) -> Response:
    """A photo of an audit of a store the caller sees (404 otherwise)."""
    data, kind = svc.read(lambda conn: actions.photo(conn, who, svc.settings.photos_dir, sha256))
    return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=86400"})


@router.get(BASE + "/actions")
def actions_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    store: Annotated[str, Query(max_length=32)] = "",
    show: Annotated[str, Query(pattern="^(|open|closed|overdue)$")] = "open",
    offset: Offset = 0,
) -> Response:
    """Corrective actions of the caller's stores, earliest due first, overdue ones
    flagged (`show`: open, overdue, closed, or all)."""
    today = market_today(svc)
    rows = svc.read(
        lambda conn: actions.list_actions(
            conn,
            who,
            today=today,
            store_id=store.strip() or None,
            status=show if show in ("open", "closed") else None,
            only_overdue=show == "overdue",
            limit=PER_PAGE,
            offset=offset,
        )
    )
    return render(
        request,
        "standards/actions.html",
        who,
        rows=rows[:PER_PAGE],
        more=len(rows) > PER_PAGE,
        offset=offset,
        page=PER_PAGE,
        wanted={"store": store, "show": show},
        today=today,
        **_context(who),
    )


@router.get(BASE + "/templates")
def templates_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    id: Annotated[str, Query(max_length=64)] = "",
    version: Annotated[int | None, Query(ge=1, le=10**6)] = None,
) -> Response:
    """The checklists, and one of them (`id`) at a version with its version history."""

    def work(conn: Connection):  # type: ignore[no-untyped-def]
        listed = actions.list_templates(conn, who)
        chosen = actions.read_template(conn, who, id, version) if id else None
        return listed, chosen

    listed, chosen = svc.read(work)
    return render(
        request, "standards/templates.html", who, listed=listed, chosen=chosen, **_context(who)
    )
