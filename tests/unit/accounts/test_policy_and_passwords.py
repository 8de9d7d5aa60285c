"""The access policy, passwords, login slow-down and the device rate limit, without a
server."""

from __future__ import annotations

import pytest

from storenet.accounts.login import wait_after
from storenet.accounts.passwords import hash_password, verify_password
from storenet.accounts.roles import POLICY, ROLES, allowed
from storenet.settings import Settings


def test_an_auditor_may_read_but_never_write():
    writes = [
        a
        for a in POLICY
        if a.split(".")[-1] in ("write", "admin", "adjust", "count", "resolve", "upload")
    ]
    assert writes
    assert not any(allowed("auditor", a) for a in writes)


def test_a_pos_device_may_only_upload_sales():
    assert [a for a in POLICY if allowed("pos_device", a)] == ["public", "self", "pos.upload"]


def test_every_action_names_known_roles_only():
    assert all(roles <= set(ROLES) for roles in POLICY.values())


def test_passwords_verify_and_hashes_are_salted_argon2id():
    first, second = hash_password("a long password"), hash_password("a long password")
    assert first != second and first.startswith("$argon2id$")
    assert verify_password(first, "a long password")
    assert not verify_password(first, "another password")
    assert not verify_password(None, "a long password")


def test_the_wait_after_failures_grows_and_is_capped():
    assert [wait_after(n, 5) for n in (1, 4, 5, 6, 7)] == [0, 0, 5, 10, 20]
    assert wait_after(100, 5) == 300


def test_settings_refuse_a_placeholder_secret_outside_development():
    with pytest.raises(ValueError, match="STORENET_SECRET_KEY"):
        Settings(env="production", secret_key="changethis")
    with pytest.raises(ValueError, match="STORENET_SECRET_KEY"):
        Settings.from_env({"STORENET_ENV": "production"})
    ok = Settings(env="production", secret_key="k" * 40)
    assert ok.secret == "k" * 40
    assert Settings().env == "development"


def test_users_get_the_scope_their_role_needs_and_people_need_a_password():
    from sqlalchemy import create_engine, insert

    from storenet.accounts.users import change_role, create_user
    from storenet.errors import Refused
    from storenet.store.schema import audit_log, franchisees, metadata

    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(franchisees), [{"id": "F1", "name": "F"}])
        with pytest.raises(Refused, match="franchisee_id: is required"):
            create_user(conn, actor="t", username="a", role="franchise_owner", password="p" * 12)
        with pytest.raises(Refused, match="password: must be at least"):
            create_user(conn, actor="t", username="a", role="auditor", password="short")
        with pytest.raises(Refused, match="role: must be one of"):
            create_user(conn, actor="t", username="a", role="king", password="p" * 12)
        person = create_user(
            conn,
            actor="t",
            username="a",
            role="franchise_owner",
            franchisee_id="F1",
            password="p" * 12,
        )
        changed = change_role(conn, actor="t", user_id=person["id"], role="auditor")
        assert (changed["role"], changed["franchisee_id"]) == ("auditor", None)
        with pytest.raises(Refused):
            change_role(conn, actor="t", user_id=person["id"], role="pos_device")
        actions = [r.action for r in conn.execute(audit_log.select())]
        assert actions == ["user.create", "user.role"]
