"""The access table: every route of the OpenAPI schema, its action, and the objects to
call it on. A route missing here fails the access tests, so a new route cannot ship
without being placed in the policy and tried against another franchisee's objects.

`own`: path parameters for the role matrix (objects of S1 or network-wide);
`foreign`: path parameters naming franchisee F2's objects (store S3), for the
isolation test (None: the route takes no object id).
`query`: the query string a route needs to answer at all.
"""

from __future__ import annotations

VICTIM = "{victim}"  # replaced by the id of a throwaway user
POS_USER = "{pos_user}"
OWN_DISCREPANCY = "{own_discrepancy}"
FOREIGN_DISCREPANCY = "{foreign_discrepancy}"
FOREIGN_USER = "{foreign_user}"
FOREIGN_REWARD = "{foreign_reward}"  # franchisee F2's reward (test_access._objects)
OWN_AUDIT = "{own_audit}"  # a started standards audit of S1
FOREIGN_AUDIT = "{foreign_audit}"  # a started standards audit of S3, with a photo
FOREIGN_PHOTO = "{foreign_photo}"  # that photo's SHA-256

ACCESS: dict[tuple[str, str], dict] = {
    ("POST", "/auth/login"): {
        "action": "public",
        "body": {"username": "nobody", "password": "wrong password"},
    },
    ("GET", "/me"): {"action": "self"},
    ("GET", "/users"): {"action": "user.read"},
    ("POST", "/users"): {
        "action": "user.admin",
        "key": True,
        "body": {"username": "new-{role}", "role": "auditor", "password": "long enough password"},
    },
    ("GET", "/users/{user_id}"): {
        "action": "user.read",
        "own": {"user_id": VICTIM},
        "foreign": {"user_id": FOREIGN_USER},
    },
    ("PUT", "/users/{user_id}/role"): {
        "action": "user.admin",
        "own": {"user_id": VICTIM},
        "foreign": {"user_id": FOREIGN_USER},
        "body": {"role": "auditor"},
    },
    ("POST", "/users/{user_id}/disable"): {
        "action": "user.admin",
        "own": {"user_id": VICTIM},
        "foreign": {"user_id": FOREIGN_USER},
    },
    ("POST", "/users/{user_id}/tokens"): {
        "action": "user.admin",
        "own": {"user_id": POS_USER},
        "foreign": {"user_id": FOREIGN_USER},
    },
    ("GET", "/audit"): {"action": "audit.read"},
    ("GET", "/audit/verify"): {"action": "audit.read"},
    ("POST", "/pos/batches"): {"action": "pos.upload", "key": True, "body": "pos"},
    ("GET", "/serials/{serial}"): {
        "action": "serial.read",
        "own": {"serial": "P-S1-1"},
        "foreign": {"serial": "P-S3-2"},
    },
    ("GET", "/stock/{location}"): {
        "action": "stock.read",
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
    },
    ("GET", "/skus/{sku_id}/stock"): {"action": "stock.read", "own": {"sku_id": "K1"}},
    ("POST", "/stock/{location}/counts"): {
        "action": "stock.count",
        "key": True,
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
        "body": {"sku": "K1", "counted": 20},
    },
    ("POST", "/stock/{location}/adjustments"): {
        "action": "stock.adjust",
        "key": True,
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
        "body": {"sku": "K2", "delta": 1, "reason": "access matrix"},
    },
    ("POST", "/stock/{location}/receipts"): {
        "action": "stock.receive",
        "key": True,
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
        "body": {"lines": [{"sku": "K1", "qty": 2}], "document": "DN-{role}"},
    },
    ("POST", "/stock/{location}/holds"): {
        "action": "stock.hold",
        "key": True,
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
        "body": {"sku": "K2", "qty": 1, "reason": "access matrix"},
    },
    ("POST", "/stock/{location}/holds/release"): {
        "action": "stock.release",
        "key": True,
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
        "body": {"sku": "K2", "qty": 1, "reason": "access matrix"},
    },
    ("POST", "/stock/{location}/scrap"): {
        "action": "stock.scrap",
        "key": True,
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
        "body": {"sku": "K2", "qty": 1, "reason": "access matrix"},
    },
    ("POST", "/stock/{location}/reservations"): {
        "action": "stock.reserve",
        "key": True,
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
        "body": {"sku": "K1", "qty": 1, "reference": "order-{role}"},
    },
    ("POST", "/stock/{location}/reservations/release"): {
        "action": "stock.reserve",
        "key": True,
        "own": {"location": "S1"},
        "foreign": {"location": "S3"},
        "body": {"sku": "K1", "qty": 1, "reference": "order-{role}"},
    },
    ("GET", "/discrepancies"): {"action": "discrepancy.read"},
    ("POST", "/discrepancies/{discrepancy_id}/resolve"): {
        "action": "discrepancy.resolve",
        "key": True,
        "own": {"discrepancy_id": OWN_DISCREPANCY},
        "foreign": {"discrepancy_id": FOREIGN_DISCREPANCY},
        "body": {"counted": 0},
    },
    ("GET", "/transfers"): {"action": "transfer.read"},
    ("POST", "/transfers"): {
        "action": "transfer.write",
        "key": True,
        # A return from S1 to the warehouse that supplies it: every holder of S1 may.
        "body": {
            "transfer_id": "T-new-{role}",
            "source": "S1",
            "destination": "WE",
            "lines": [{"sku": "K1", "qty": 1}],
        },
    },
    ("GET", "/transfers/{transfer_id}"): {
        "action": "transfer.read",
        "own": {"transfer_id": "T-S1"},
        "foreign": {"transfer_id": "T-F2"},
    },
    ("POST", "/transfers/{transfer_id}/ship"): {
        "action": "transfer.write",
        "key": True,
        "own": {"transfer_id": "T-S1"},
        "foreign": {"transfer_id": "T-F2"},
    },
    ("POST", "/transfers/{transfer_id}/receive"): {
        "action": "transfer.write",
        "key": True,
        "own": {"transfer_id": "T-S1"},
        "foreign": {"transfer_id": "T-F2-shipped"},
        "body": {},
    },
    ("POST", "/transfers/{transfer_id}/cancel"): {
        "action": "transfer.write",
        "key": True,
        "own": {"transfer_id": "T-S1"},
        "foreign": {"transfer_id": "T-F2"},
        "body": {"reason": "access matrix"},
    },
    ("GET", "/stock/echelons"): {"action": "stock.echelons"},
    ("GET", "/stores"): {"action": "network.read"},
    ("GET", "/stores/{store_id}"): {
        "action": "network.read",
        "own": {"store_id": "S1"},
        "foreign": {"store_id": "S3"},
    },
    ("PUT", "/stores/{store_id}/owner"): {
        "action": "network.write",
        "own": {"store_id": "S4"},
        "foreign": {"store_id": "S3"},
        "body": {"franchisee_id": None},
    },
    ("PUT", "/stores/{store_id}/status"): {
        "action": "network.write",
        "own": {"store_id": "S4"},
        "foreign": {"store_id": "S3"},
        "body": {"status": "open"},
    },
    ("GET", "/regions"): {"action": "network.read"},
    ("GET", "/regions/{region_id}/managers"): {
        "action": "network.read",
        "own": {"region_id": "EAST"},
        "foreign": {"region_id": "WEST"},
    },
    ("PUT", "/regions/{region_id}/manager"): {
        "action": "network.write",
        "own": {"region_id": "WEST"},
        "foreign": {"region_id": "WEST"},
        "body": {"manager": "someone"},
    },
    ("GET", "/skus"): {"action": "catalog.read"},
    ("GET", "/skus/{sku_id}"): {"action": "catalog.read", "own": {"sku_id": "K1"}},
    ("POST", "/plans/jobs"): {"action": "plan.write", "body": {"day": "2026-01-01"}},
    ("GET", "/plans/jobs/{job_id}"): {
        "action": "plan.read",
        "own": {"job_id": "job-none"},
        "foreign": {"job_id": "job-none"},
    },
    ("POST", "/plans/jobs/{job_id}/cancel"): {
        "action": "plan.write",
        "own": {"job_id": "job-none"},
        "foreign": {"job_id": "job-none"},
    },
    ("GET", "/plans/{plan_id}"): {
        "action": "plan.read",
        "own": {"plan_id": "plan-2026-01-01"},
        "foreign": {"plan_id": "plan-2026-01-01"},
    },
    ("GET", "/plans/{plan_id}/lines"): {
        "action": "plan.read",
        "own": {"plan_id": "plan-2026-01-01"},
        "foreign": {"plan_id": "plan-2026-01-01"},
    },
    ("GET", "/plans/{plan_id}/upstream-lines"): {
        "action": "plan.read",
        "own": {"plan_id": "plan-2026-01-01"},
        "foreign": {"plan_id": "plan-2026-01-01"},
    },
    ("PUT", "/plans/{plan_id}/lines/{line_no}"): {
        "action": "plan.write",
        "own": {"plan_id": "plan-2026-01-01", "line_no": 1},
        "foreign": {"plan_id": "plan-2026-01-01", "line_no": 1},
        "body": {"qty": 1},
    },
    ("POST", "/plans/{plan_id}/approve"): {
        "action": "plan.write",
        "own": {"plan_id": "plan-2026-01-01"},
        "foreign": {"plan_id": "plan-2026-01-01"},
    },
    ("POST", "/plans/{plan_id}/release"): {
        "action": "plan.write",
        "own": {"plan_id": "plan-2026-01-01"},
        "foreign": {"plan_id": "plan-2026-01-01"},
    },
    ("POST", "/plans/{plan_id}/reopen"): {
        "action": "plan.write",
        "own": {"plan_id": "plan-2026-01-01"},
        "foreign": {"plan_id": "plan-2026-01-01"},
        "body": {"reason": "fix an edit"},
    },
    ("POST", "/plans/{plan_id}/cancel"): {
        "action": "plan.write",
        "own": {"plan_id": "plan-2026-01-01"},
        "foreign": {"plan_id": "plan-2026-01-01"},
        "body": {"reason": "start over"},
    },
    # Purchase orders: no order exists in the matrix (allowed roles get 404 or 422,
    # denied ones 403); franchise owners have no po.* action, so no foreign objects.
    ("GET", "/purchase-orders"): {"action": "po.read"},
    ("GET", "/purchase-orders/{po_id}"): {"action": "po.read", "own": {"po_id": "PO-NONE"}},
    ("POST", "/purchase-orders"): {
        "action": "po.write",
        "key": True,
        "body": {"supplier": "NO-SUPPLIER", "warehouse": "WE", "lines": [{"sku": "K1", "qty": 1}]},
    },
    ("POST", "/purchase-orders/{po_id}/approve"): {
        "action": "po.approve",
        "key": True,
        "own": {"po_id": "PO-NONE"},
    },
    ("POST", "/purchase-orders/{po_id}/send"): {
        "action": "po.write",
        "key": True,
        "own": {"po_id": "PO-NONE"},
    },
    ("POST", "/purchase-orders/{po_id}/confirm"): {
        "action": "po.write",
        "key": True,
        "own": {"po_id": "PO-NONE"},
        "body": {},
    },
    ("POST", "/purchase-orders/{po_id}/receive"): {
        "action": "po.receive",
        "key": True,
        "own": {"po_id": "PO-NONE"},
        "body": {"lines": [{"line_no": 1, "good": 1}]},
    },
    ("POST", "/purchase-orders/{po_id}/cancel"): {
        "action": "po.write",
        "key": True,
        "own": {"po_id": "PO-NONE"},
        "body": {"reason": "access matrix"},
    },
    # Recall campaigns: every person reads them (a scoped one sees their stores' part),
    # HQ writes them. No campaign exists in the matrix (allowed roles get 404 or 422);
    # a campaign is the whole brand's, so no foreign objects.
    ("GET", "/recalls"): {"action": "recall.read"},
    ("POST", "/recalls"): {
        "action": "recall.write",
        "key": True,
        "body": {
            "name": "matrix-{role}",
            "reason": "access matrix",
            "severity": "stop_sale",
            "remedy": "repair",
            "scope": [{"kind": "sku", "value": "K4"}],
        },
    },
    ("GET", "/recalls/{campaign_id}"): {"action": "recall.read", "own": {"campaign_id": "RC-NONE"}},
    ("POST", "/recalls/{campaign_id}/status"): {
        "action": "recall.write",
        "key": True,
        "own": {"campaign_id": "RC-NONE"},
        "body": {"action": "complete"},
    },
    ("GET", "/recalls/trace"): {"action": "recall.read", "query": "kind=buyer&value=B-NONE"},
    ("POST", "/recalls/{campaign_id}/notifications"): {
        "action": "recall.write",
        "key": True,
        "own": {"campaign_id": "RC-NONE"},
        "body": {},
    },
    ("POST", "/recalls/{campaign_id}/contacts/{serial}/status"): {
        "action": "recall.write",
        "key": True,
        "own": {"campaign_id": "RC-NONE", "serial": "P-S1-1"},
        "body": {"status": "contacted"},
    },
    ("GET", "/recalls/serials/{serial}"): {
        "action": "recall.read",
        "own": {"serial": "P-S1-1"},
    },
    # The franchise relationship (storenet.franchise): targets, attainment, programs,
    # rewards and statements. A franchise owner sees his own franchisee's only: F2's
    # reward and statement are the foreign objects.
    ("GET", "/targets"): {"action": "target.read", "query": "period=2026-11"},
    ("POST", "/targets"): {
        "action": "target.write",
        "key": True,
        "body": {
            "targets": [
                {
                    "scope": "store",
                    "subject": "S1",
                    "period": "2026-11",
                    "metric": "revenue",
                    "amount": "100.00",
                }
            ]
        },
    },
    ("GET", "/attainment"): {"action": "target.read", "query": "period=2026-11"},
    ("GET", "/programs"): {"action": "program.read"},
    ("POST", "/programs"): {
        "action": "program.write",
        "key": True,
        "body": {"id": "matrix-{role}", "name": "access matrix"},
    },
    ("POST", "/programs/{program_id}/terms"): {
        "action": "program.write",
        "key": True,
        "own": {"program_id": "P-NONE"},
        "body": {
            "period_kind": "month",
            "from_period": "2026-11",
            "basis": "sales",
            "tiers": [{"threshold": "0", "payout": "fixed", "amount": "1.00"}],
            "currency": "CNY",
            "due_days": 30,
        },
    },
    ("POST", "/programs/{program_id}/terms/{version}/publish"): {
        "action": "program.write",
        "key": True,
        "own": {"program_id": "P-NONE", "version": 1},
    },
    ("POST", "/programs/{program_id}/terms/{version}/accept"): {
        "action": "program.accept",
        "key": True,
        "own": {"program_id": "P-NONE", "version": 1},
    },
    ("GET", "/rewards"): {"action": "reward.read"},
    ("GET", "/rewards/overdue"): {"action": "reward.read"},
    ("POST", "/rewards/close-period"): {
        "action": "reward.close",
        "key": True,
        "body": {"period": "2026-11", "programs": ["P-NONE"]},
    },
    ("GET", "/rewards/{reward_id}"): {
        "action": "reward.read",
        "own": {"reward_id": "RW-NONE"},
        "foreign": {"reward_id": FOREIGN_REWARD},
    },
    ("POST", "/rewards/{reward_id}/approve"): {
        "action": "reward.approve",
        "key": True,
        "own": {"reward_id": "RW-NONE"},
        "foreign": {"reward_id": FOREIGN_REWARD},
    },
    ("POST", "/rewards/{reward_id}/pay"): {
        "action": "reward.pay",
        "key": True,
        "own": {"reward_id": "RW-NONE"},
        "foreign": {"reward_id": FOREIGN_REWARD},
        "body": {"payment_ref": "B-1", "paid_on": "2026-12-05"},
    },
    ("POST", "/rewards/{reward_id}/dispute"): {
        "action": "reward.dispute",
        "key": True,
        "own": {"reward_id": "RW-NONE"},
        "foreign": {"reward_id": FOREIGN_REWARD},
        "body": {"reason": "access matrix"},
    },
    ("POST", "/rewards/{reward_id}/resolve"): {
        "action": "reward.resolve",
        "key": True,
        "own": {"reward_id": "RW-NONE"},
        "foreign": {"reward_id": FOREIGN_REWARD},
        "body": {"answer": "access matrix"},
    },
    ("POST", "/rewards/{reward_id}/correct"): {
        "action": "reward.correct",
        "key": True,
        "own": {"reward_id": "RW-NONE"},
        "foreign": {"reward_id": FOREIGN_REWARD},
        "body": {"amount": "1.00", "reason": "access matrix"},
    },
    ("GET", "/franchisees/{franchisee_id}/statement"): {
        "action": "statement.read",
        "own": {"franchisee_id": "F1"},
        "foreign": {"franchisee_id": "F2"},
        "query": "period=2026-11",
    },
    # Store standards (storenet.standards).
    ("GET", "/standards/templates"): {"action": "standards.read"},
    ("GET", "/standards/templates/{template_id}"): {
        "action": "standards.read",
        "own": {"template_id": "store-standard"},
    },
    ("PUT", "/standards/templates/{template_id}"): {
        "action": "standards.template",
        "key": True,
        "own": {"template_id": "matrix"},
        "body": {"name": "Matrix", "items": [{"section": "decor", "code": "a", "text": "A"}]},
    },
    ("GET", "/standards/audits"): {"action": "standards.read"},
    ("POST", "/standards/audits"): {
        "action": "standards.audit",
        "key": True,
        "body": {"store_id": "S1", "template_id": "store-standard"},
    },
    ("GET", "/standards/audits/{audit_id}"): {
        "action": "standards.read",
        "own": {"audit_id": OWN_AUDIT},
        "foreign": {"audit_id": FOREIGN_AUDIT},
    },
    ("PUT", "/standards/audits/{audit_id}/items/{code}"): {
        "action": "standards.audit",
        "key": True,
        "own": {"audit_id": OWN_AUDIT, "code": "decor.sign"},
        "foreign": {"audit_id": FOREIGN_AUDIT, "code": "decor.sign"},
        "body": {"passed": True},
    },
    ("POST", "/standards/audits/{audit_id}/items/{code}/photos"): {
        "action": "standards.audit",
        "own": {"audit_id": OWN_AUDIT, "code": "decor.sign"},
        "foreign": {"audit_id": FOREIGN_AUDIT, "code": "decor.sign"},
        "body": {"not": "an image"},
    },
    ("GET", "/standards/photos/{sha256}"): {
        "action": "standards.read",
        "own": {"sha256": "0" * 64},
        "foreign": {"sha256": FOREIGN_PHOTO},
    },
    ("POST", "/standards/audits/{audit_id}/status"): {
        "action": "standards.audit",
        "key": True,
        "own": {"audit_id": OWN_AUDIT},
        "foreign": {"audit_id": FOREIGN_AUDIT},
        "body": {"action": "cancel", "reason": "access matrix"},
    },
    ("GET", "/standards/actions"): {"action": "standards.read"},
    ("GET", "/standards/actions/overdue"): {"action": "standards.read"},
    ("GET", "/standards/stores/{store_id}"): {
        "action": "standards.read",
        "own": {"store_id": "S1"},
        "foreign": {"store_id": "S3"},
    },
    ("POST", "/standards/assignments"): {
        "action": "standards.assign",
        "key": True,
        "body": {"auditor": "std_aud", "store_id": "S2"},
    },
    # Last: it ends the caller's session.
    ("POST", "/auth/logout"): {"action": "self"},
}
