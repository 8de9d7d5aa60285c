"""Managing users: create (the first administrator too), change role or scope, disable.

Every change writes its audit entry in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select, update

from storenet.accounts.passwords import MIN_LENGTH, hash_password
from storenet.accounts.roles import ADMIN, FRANCHISE, POS, ROLES, STORE
from storenet.accounts.tokens import revoke_tokens
from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, Refused
from storenet.store.clock import utc_now
from storenet.store.schema import franchisees, stores, users

PUBLIC_COLUMNS = ("id", "username", "role", "franchisee_id", "store_id", "disabled", "created_at")


def _check_password(role: str, password: str | None) -> None:
    """A person needs a password of MIN_LENGTH+ characters; a POS device has none."""
    if role == POS:
        if password is not None:
            raise Refused([Problem("password", "a POS device has no password")])
        return
    if password is None:
        raise Refused([Problem("password", "is required for a person")])
    if len(password) < MIN_LENGTH:
        raise Refused([Problem("password", f"must be at least {MIN_LENGTH} characters")])


def _check_scope(
    conn: Connection, role: str, franchisee_id: str | None, store_id: str | None
) -> None:
    """The role exists and carries exactly the scope it needs, naming known objects."""
    problems = []
    if role not in ROLES:
        problems.append(Problem("role", f"must be one of {', '.join(ROLES)}", value=role))
    if role == FRANCHISE and not franchisee_id:
        problems.append(Problem("franchisee_id", "is required for a franchise owner"))
    if role in (STORE, POS) and not store_id:
        problems.append(Problem("store_id", f"is required for a {role}"))
    if role not in (FRANCHISE,) and franchisee_id:
        problems.append(
            Problem("franchisee_id", "is only for a franchise owner", value=franchisee_id)
        )
    if role not in (STORE, POS) and store_id:
        problems.append(
            Problem("store_id", "is only for a store manager or a POS device", value=store_id)
        )
    if problems:
        raise Refused(problems)
    if (
        franchisee_id
        and conn.execute(select(franchisees.c.id).where(franchisees.c.id == franchisee_id)).first()
        is None
    ):
        raise Refused([Problem("franchisee_id", "is not a known franchisee", value=franchisee_id)])
    if (
        store_id
        and conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first() is None
    ):
        raise Refused([Problem("store_id", "is not a known store", value=store_id)])


def public(row) -> dict:  # type: ignore[no-untyped-def]
    """A user as shown to others: never the password hash."""
    return {k: row._mapping[k] for k in PUBLIC_COLUMNS}


def create_user(
    conn: Connection,
    *,
    actor: str,
    username: str,
    role: str,
    password: str | None = None,
    franchisee_id: str | None = None,
    store_id: str | None = None,
) -> dict:
    """Create a user (a POS device is a user with role pos_device and no password).

    Refused naming the field for a bad role, a missing or unknown scope, a short
    password, or a username already taken. Audited as "user.create".
    """
    if not username or not username.strip() or len(username) > 200:
        raise Refused([Problem("username", "must be 1 to 200 characters", value=username)])
    _check_scope(conn, role, franchisee_id, store_id)
    _check_password(role, password)
    if conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise Refused([Problem("username", "is taken", value=username)])
    row = conn.execute(
        insert(users)
        .values(
            username=username,
            password_hash=hash_password(password) if password else None,
            role=role,
            franchisee_id=franchisee_id,
            store_id=store_id,
            created_at=utc_now(),
        )
        .returning(*[users.c[k] for k in PUBLIC_COLUMNS])
    ).one()
    made = public(row)
    record(conn, actor, "user.create", f"user:{username}", None, _scope(made))
    return made


def create_first_admin(conn: Connection, username: str, password: str) -> dict:
    """Create an administrator from the command line (there is no default one).

    Refused when an enabled administrator already exists: later ones are created by
    an administrator, through the API, and audited under their name.
    """
    existing = conn.execute(
        select(func.count())
        .select_from(users)
        .where(users.c.role == ADMIN, users.c.disabled.is_(False))
    ).scalar()
    if existing:
        raise Refused([Problem("administrator", "already exists; use the API to add more")])
    return create_user(conn, actor="cli", username=username, role=ADMIN, password=password)


def get_user(conn: Connection, user_id: int) -> dict:
    """One user (public fields); NotFound if there is none."""
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFound("user", str(user_id))
    return public(row)


def list_users(conn: Connection, limit: int, offset: int) -> list[dict]:
    """Users by id (public fields)."""
    q = select(users).order_by(users.c.id).limit(limit).offset(offset)
    return [public(r) for r in conn.execute(q)]


def change_role(
    conn: Connection,
    *,
    actor: str,
    user_id: int,
    role: str,
    franchisee_id: str | None = None,
    store_id: str | None = None,
) -> dict:
    """Give a user another role and scope; their sessions and tokens end (they were
    granted under the old role). Audited as "user.role" with before and after."""
    before = get_user(conn, user_id)
    _check_scope(conn, role, franchisee_id, store_id)
    has_password = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()
    if (role == POS) != (has_password is None):
        # A device has no password to log in with, a person must have one: such a change
        # is a new user, not a new role.
        raise Refused(
            [Problem("role", "cannot turn a person into a POS device or back", value=role)]
        )
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(role=role, franchisee_id=franchisee_id, store_id=store_id)
    )
    revoke_tokens(conn, user_id=user_id)
    after = get_user(conn, user_id)
    record(conn, actor, "user.role", f"user:{before['username']}", _scope(before), _scope(after))
    return after


def disable_user(conn: Connection, *, actor: str, user_id: int) -> dict:
    """Disable a user and revoke every session and token they hold, at once.
    Disabling a disabled user changes nothing and writes no audit entry."""
    before = get_user(conn, user_id)
    if before["disabled"]:
        return before
    conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
    revoked = revoke_tokens(conn, user_id=user_id)
    after = get_user(conn, user_id)
    record(
        conn,
        actor,
        "user.disable",
        f"user:{before['username']}",
        {"disabled": False},
        {"disabled": True, "tokens_revoked": revoked},
    )
    return after


def _scope(user: dict) -> dict:
    return {k: user[k] for k in ("role", "franchisee_id", "store_id", "disabled")}
