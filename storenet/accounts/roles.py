"""Roles and the actions each may do: the documented access policy (function scope).

Object scope (which stores, regions, plans) is in `storenet.accounts.scope`.
"""

from __future__ import annotations

ADMIN = "administrator"
PLANNER = "hq_planner"
REGIONAL = "regional_manager"
STORE = "store_manager"
FRANCHISE = "franchise_owner"
AUDITOR = "auditor"
POS = "pos_device"
# The brand's finance staff: see every franchisee's rewards and statements, approve and
# pay rewards (storenet.franchise). Rewards are earned on stores' sales, so finance
# reads every store and region (targets, attainment, the network, standards scores);
# it has no stock or plan work, so no stock, serial, transfer or plan reads.
FINANCE = "finance"
# A store standards auditor (storenet.standards) visits and audits the stores assigned
# to them (standards_assignments: stores, or every store of a region) and sees those
# only. A role of its own, not `auditor`: that one reads the whole network and the
# audit trail but writes nothing, while this one writes audits and sees a few stores.
STANDARDS_AUDITOR = "standards_auditor"

ROLES = (ADMIN, PLANNER, REGIONAL, STORE, FRANCHISE, AUDITOR, POS, FINANCE, STANDARDS_AUDITOR)
PEOPLE = frozenset(
    {ADMIN, PLANNER, REGIONAL, STORE, FRANCHISE, AUDITOR, FINANCE, STANDARDS_AUDITOR}
)
# Roles that see every store; the others see their own regions or stores only.
NETWORK_WIDE = frozenset({ADMIN, PLANNER, AUDITOR})
# Roles that see every store and region but no warehouse (object scope).
EVERY_STORE = NETWORK_WIDE | {FINANCE}
# People who read stock: everyone but finance (no stock work, see above).
STOCK_READERS = PEOPLE - {FINANCE}
STOCK_KEEPERS = frozenset({ADMIN, REGIONAL, STORE, FRANCHISE})

# action -> roles allowed. "public" needs no credentials, "self" any valid ones.
POLICY: dict[str, frozenset[str]] = {
    "public": frozenset(ROLES),
    "self": frozenset(ROLES),
    "pos.upload": frozenset({ADMIN, POS}),
    "serial.read": STOCK_READERS,
    "stock.read": STOCK_READERS,
    "stock.count": STOCK_KEEPERS,
    "stock.adjust": STOCK_KEEPERS,
    # Supplier deliveries are received where they arrive, by whoever keeps that stock.
    "stock.receive": STOCK_KEEPERS,
    # Writing units off is a loss; those who may correct stock may also write it off.
    "stock.scrap": STOCK_KEEPERS,
    # Anyone keeping stock may take units off sale (damage, a doubt, a recall)...
    "stock.hold": STOCK_KEEPERS,
    # ...but only the brand's line managers put held units back on sale: a quality hold
    # or a recall is lifted by someone above the store that found or received it.
    "stock.release": frozenset({ADMIN, REGIONAL}),
    # Promising units to a customer order or an allocation (and giving them back).
    "stock.reserve": STOCK_KEEPERS,
    "discrepancy.read": STOCK_READERS,
    "discrepancy.resolve": STOCK_KEEPERS,
    "transfer.read": STOCK_READERS,
    # Create, ship and cancel (at the source) and receive (at the destination).
    "transfer.write": STOCK_KEEPERS | {PLANNER},
    # Stock by echelon (stores, warehouses, in transit, on order): the whole network.
    "stock.echelons": NETWORK_WIDE,
    "network.read": PEOPLE,
    "network.write": frozenset({ADMIN}),
    "catalog.read": PEOPLE,
    # Regional managers review the plan lines of their regions' stores (read only).
    "plan.read": frozenset({ADMIN, PLANNER, AUDITOR, REGIONAL}),
    "plan.write": frozenset({ADMIN, PLANNER}),
    # Purchase orders (storenet.purchasing): regional managers read their regions'
    # warehouses' orders; HQ planners and administrators raise, send, confirm and cancel
    # them, and approve another person's (four eyes, enforced in the transaction).
    "po.read": frozenset({ADMIN, PLANNER, AUDITOR, REGIONAL}),
    "po.write": frozenset({ADMIN, PLANNER}),
    "po.approve": frozenset({ADMIN, PLANNER}),
    # Goods are received by whoever keeps the warehouse's stock (its regional manager;
    # an administrator anywhere), never by the buyer: who orders does not also attest
    # that the goods arrived.
    "po.receive": frozenset({ADMIN, REGIONAL}),
    # Recall campaigns (storenet.recall): everyone reads them (a scoped person sees the
    # funnel of their own stores only) and looks serials up at the counter; HQ raises
    # them and changes their status (closing needs a second person: four eyes).
    "recall.read": PEOPLE,
    "recall.write": frozenset({ADMIN, PLANNER}),
    "user.read": frozenset({ADMIN, AUDITOR}),
    "user.admin": frozenset({ADMIN}),
    "audit.read": frozenset({ADMIN, AUDITOR}),
    # The franchise relationship (storenet.franchise). Targets and program terms are set
    # by HQ planners; a franchise owner reads his own stores' targets and attainment and
    # the terms offered to him, and accepts them (only he can bind his franchisee).
    "target.read": frozenset({ADMIN, PLANNER, AUDITOR, REGIONAL, FRANCHISE, FINANCE}),
    "target.write": frozenset({ADMIN, PLANNER}),
    "program.read": frozenset({ADMIN, PLANNER, AUDITOR, FRANCHISE, FINANCE}),
    "program.write": frozenset({ADMIN, PLANNER}),
    "program.accept": frozenset({FRANCHISE}),
    # Rewards: finance sees all and moves them on (approve needs a second person: four
    # eyes in the transaction); HQ planners and finance close a period (prepare); a
    # franchise owner sees his own and may dispute them, as finance may.
    "reward.read": frozenset({ADMIN, PLANNER, AUDITOR, FRANCHISE, FINANCE}),
    "reward.close": frozenset({ADMIN, PLANNER, FINANCE}),
    "reward.approve": frozenset({ADMIN, FINANCE}),
    "reward.pay": frozenset({ADMIN, FINANCE}),
    "reward.dispute": frozenset({ADMIN, FRANCHISE, FINANCE}),
    "reward.resolve": frozenset({ADMIN, FINANCE}),
    "reward.correct": frozenset({ADMIN, FINANCE}),
    "statement.read": frozenset({ADMIN, AUDITOR, FRANCHISE, FINANCE}),
    # Store standards (storenet.standards): everyone reads the audits, scores and
    # corrective actions of the stores they see (a franchise owner his own, a standards
    # auditor those assigned to him); HQ keeps the checklists; standards auditors (and
    # administrators) audit; administrators assign auditors to stores and regions.
    "standards.read": PEOPLE,
    "standards.template": frozenset({ADMIN, PLANNER}),
    "standards.audit": frozenset({ADMIN, STANDARDS_AUDITOR}),
    "standards.assign": frozenset({ADMIN}),
}


def allowed(role: str, action: str) -> bool:
    """True when `role` may do `action` (function scope only). Unknown actions: no."""
    return role in POLICY.get(action, frozenset())
