"""Who is calling: a user (person or POS device) resolved from a token."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The caller of one request. `token_id` is the session or device token used;
    `store_id` binds a store manager or a POS device to one store; `franchisee_id` makes
    a franchise owner's stores those the franchisee owns now."""

    user_id: int
    username: str
    role: str
    token_id: int
    token_kind: str
    franchisee_id: str | None = None
    store_id: str | None = None

    @property
    def key_prefix(self) -> str:
        """Idempotency keys are per caller: another caller's key can neither collide
        with nor reveal anything about this one's."""
        return f"u{self.user_id}:"
