"""Adding the API to the service app: its routers and its schema, which publishes the
access policy."""

from __future__ import annotations

from fastapi import FastAPI

from storenet.accounts.roles import POLICY, ROLES
from storenet.api.routes import ROUTERS


def add_api(app: FastAPI) -> None:
    """Include every API router in `app` and document the access policy in its schema:
    a role x action table in the description, and each operation's allowed roles in
    `x-storenet-roles`."""
    for router in ROUTERS:
        app.include_router(router)
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for item in schema["paths"].values():
            for op in item.values():
                action = op.get("x-storenet-action")
                if action is not None:
                    op["x-storenet-roles"] = sorted(POLICY[action])
        schema["info"]["description"] = policy_table()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def policy_table() -> str:
    """The access policy as a Markdown table (actions x roles)."""
    head = "| action | " + " | ".join(ROLES) + " |"
    rule = "| --- |" + " --- |" * len(ROLES)
    rows = [
        f"| {action} | " + " | ".join("yes" if r in roles else "" for r in ROLES) + " |"
        for action, roles in POLICY.items()
    ]
    intro = (
        "Who may do what (function scope). Object scope: regional managers see the "
        "stores of the regions they run now, store managers and POS devices their store, "
        "franchise owners the stores their franchisee owns now; others see everything."
    )
    return "\n".join([intro, "", head, rule, *rows])
