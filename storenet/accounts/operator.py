"""The named operator behind a command-line write: the CLI acts as a user, checked
against the same policy as the API and the console, and audited under that name.

There is no token on the command line: whoever can run `storenet` on the server can
read its database anyway, so the name says who is accountable, and the account must
exist, be enabled, be a person and hold a role that allows the action. Object scope
(which stores) is checked by the service the command calls, as for the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, select

from storenet.accounts.errors import Denied
from storenet.accounts.principal import Principal
from storenet.accounts.roles import PEOPLE, allowed
from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.store.engine import unit_of_work
from storenet.store.schema import users

T = TypeVar("T")
# The token fields of a command-line principal: no token was presented.
CLI_TOKEN_ID = 0
CLI_TOKEN_KIND = "cli"


def operator(conn: Connection, username: str | None, action: str) -> Principal:
    """The principal of user `username` acting from the command line for `action`.

    Refused (field "operator") when no name is given, the account is unknown, disabled
    or a POS device (a device is not accountable for a decision); Denied when the
    account's role may not do `action` (storenet.accounts.roles.POLICY).
    """
    if not username or not username.strip():
        raise Refused([Problem("operator", "is required: name the user you act as")])
    row = conn.execute(
        select(
            users.c.id,
            users.c.username,
            users.c.role,
            users.c.disabled,
            users.c.franchisee_id,
            users.c.store_id,
        ).where(users.c.username == username)
    ).first()
    if row is None:
        raise Refused([Problem("operator", "is not a known user", value=username)])
    if row.disabled:
        raise Refused([Problem("operator", "is disabled", value=username)])
    if row.role not in PEOPLE:
        raise Refused([Problem("operator", f"is a {row.role}, not a person", value=username)])
    if not allowed(row.role, action):
        raise Denied(action, reason=f"the role {row.role} may not do {action}")
    return Principal(
        user_id=row.id,
        username=row.username,
        role=row.role,
        token_id=CLI_TOKEN_ID,
        token_kind=CLI_TOKEN_KIND,
        franchisee_id=row.franchisee_id,
        store_id=row.store_id,
    )


def run_as(
    engine: Engine,
    username: str | None,
    action: str,
    command: str,
    work: Callable[[Connection, Principal], T],
) -> T:
    """Run `work(conn, who)` in one transaction as operator `username` doing `action`.

    A Denied (function or object scope) rolls the work back and is then audited in its
    own transaction as "denied" with target `command` (e.g. "cli stock hold"), as the
    API audits a refused request; the error is raised again for the edge to render.
    """
    try:
        return unit_of_work(engine, lambda conn: work(conn, operator(conn, username, action)))
    except Denied as error:
        after = {"action": error.action, "object": error.target, "reason": error.reason}
        unit_of_work(
            engine,
            lambda conn: record(conn, username or "anonymous", "denied", command, None, after),
        )
        raise
