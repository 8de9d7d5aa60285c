"""The person a command-line operator acts as: the CLI's caller, checked against the
same access policy and audited under the same name as over the API or the console.

There is no token on the command line: whoever can run `storenet` on the server can
read its database anyway. What the name buys is the same rules for everyone: the
role's permissions are checked and the audit trail says who did it.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from storenet.accounts.principal import Principal
from storenet.accounts.roles import PEOPLE
from storenet.errors import Problem, Refused
from storenet.store.schema import users

# How the CLI names the operator, for the refusals below.
OPTION = "--as (or STORENET_OPERATOR)"


def acting_as(conn: Connection, username: str | None) -> Principal:
    """The principal of `username`, an enabled person's account (not a POS device),
    for a command run on the command line (token_kind "cli", no token). Refused naming
    the option when no name is given, or the name is not such an account; whether the
    role may do the action is the caller's `require`, as on every edge."""
    if not username:
        raise Refused([Problem(OPTION, "name the user account you act as")])
    row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None or row.disabled or row.role not in PEOPLE:
        reason = "is not an enabled person's user account"
        raise Refused([Problem(OPTION, reason, value=username)])
    return Principal(
        user_id=row.id,
        username=row.username,
        role=row.role,
        token_id=0,
        token_kind="cli",
        franchisee_id=row.franchisee_id,
        store_id=row.store_id,
    )
