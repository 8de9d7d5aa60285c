"""What every console page shares: the templates, the caller, rendering, charts.

A page handler parses its input, calls one service function and hands the result to
`render`. Charts are Chart.js configurations built here in Python and drawn by
static/console.js, so a page's figures and its chart come from the same numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from storenet.accounts.errors import NotAuthenticated
from storenet.accounts.principal import Principal
from storenet.accounts.roles import (
    ADMIN,
    AUDITOR,
    FRANCHISE,
    NETWORK_WIDE,
    PLANNER,
    REGIONAL,
    STANDARDS_AUDITOR,
    STORE,
    allowed,
)
from storenet.http.callers import CSRF_COOKIE, SESSION_COOKIE, caller_token, current_principal
from storenet.http.service import ServiceDep

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
PREFIX = "/console"

ROLE_NAMES = {
    ADMIN: "Administrator",
    PLANNER: "HQ planner",
    REGIONAL: "Regional manager",
    STORE: "Store manager",
    FRANCHISE: "Franchise owner",
    AUDITOR: "Auditor",
    STANDARDS_AUDITOR: "Standards auditor",
}


# Query parameters the pages share: search text, paging.
Text = Annotated[str, Query(max_length=100)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
PageSize = Annotated[int, Query(ge=5, le=100)]


class SignInNeeded(Exception):
    """The page needs a signed-in person: the app answers with a redirect to sign-in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def console_principal(request: Request, svc: ServiceDep) -> Principal:
    """The signed-in person, from the session cookie only (a bearer token is for
    programs, not pages); SignInNeeded when there is none or it has ended. Writes are
    checked for the CSRF token and Origin by `caller_token`."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInNeeded(request.url.path)
    try:
        who = current_principal(request, svc, caller_token(request, svc, None, token))
    except NotAuthenticated as error:
        raise SignInNeeded(request.url.path) from error
    if who.token_kind != "session":
        raise SignInNeeded(request.url.path)
    return who


Viewer = Annotated[Principal, Depends(console_principal)]


def render(
    request: Request, template: str, who: Principal | None, status: int = 200, **context: Any
) -> Response:
    """Render `template` with the caller, navigation and CSRF token in the context."""
    nav = []
    if who is not None:
        nav.append(("Overview", f"{PREFIX}/"))
        if allowed(who.role, "plan.read"):
            nav.append(("Nightly plan", f"{PREFIX}/plans"))
        nav.append(("Stores", f"{PREFIX}/stores"))
        nav.append(("Products", f"{PREFIX}/products"))
        if allowed(who.role, "po.read"):
            nav.append(("Purchase orders", f"{PREFIX}/purchase-orders"))
        if allowed(who.role, "recall.read"):
            nav.append(("Recalls", f"{PREFIX}/recalls"))
        if allowed(who.role, "target.read"):
            nav.append(("Targets", f"{PREFIX}/targets"))
        if allowed(who.role, "program.read"):
            nav.append(("Programs", f"{PREFIX}/programs"))
        if allowed(who.role, "reward.read"):
            nav.append(("Rewards", f"{PREFIX}/rewards"))
        if allowed(who.role, "statement.read") and who.franchisee_id:
            nav.append(("Statement", f"{PREFIX}/statement"))
        if allowed(who.role, "standards.read"):
            nav.append(("Standards", f"{PREFIX}/standards"))
        if allowed(who.role, "plan.read") and who.role in NETWORK_WIDE:
            nav.append(("Simulator", f"{PREFIX}/simulator"))
    return templates.TemplateResponse(
        request,
        template,
        {
            "who": who,
            "role_name": ROLE_NAMES.get(who.role, who.role) if who else "",
            "nav": nav,
            "csrf": request.cookies.get(CSRF_COOKIE, ""),
            "prefix": PREFIX,
            **context,
        },
        status_code=status,
    )


def chart_json(config: dict) -> str:
    """A Chart.js configuration as JSON for a <script type="application/json"> block
    (NaN becomes null; '</' is escaped so the block cannot close early)."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(config), separators=(",", ":")).replace("</", "<\\/")


def pct(x: float | None, digits: int = 1) -> str:
    """A share as a percentage for display; a dash where there is nothing to measure."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.{digits}f}%"


def num(x: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators; a dash where there is nothing to measure."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def money(cents: int | None) -> str:
    """Cents as currency units with separators."""
    return "–" if cents is None else f"{cents / 100:,.0f}"


templates.env.filters["pct"] = pct
templates.env.filters["num"] = num
templates.env.filters["money"] = money
templates.env.globals["chart_json"] = chart_json
