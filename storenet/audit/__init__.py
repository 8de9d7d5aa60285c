"""The audit trail: append-only, hash-chained entries written in the caller's
transaction (`record`), and `verify_chain`, which finds any edit, gap or cut tail."""
