"""Recall campaigns: find every affected unit, stop it, reach its buyer, track the
campaign to done (DESIGN section 1; docs/recalls.md).

- `status`: the campaign's statuses and dated, audited transitions (four eyes to close);
- `scope`: what a campaign covers, resolved into the units it lists;
- `campaigns`: create (idempotent by name, audited), read, list, change status;
- `hold`: the hold, location by location, through `storenet.ledger.recall_holds`;
- `funnel`: where the affected units are now (held, in transit, sold, returned);
- `lookup`: a serial's recall status at the counter;
- `outbox`, `sinks`: contacts' status, and notifications delivered once per attempt;
- `actions`: the same with the caller's access checked and scope applied.

Plain Python over a connection (the hold takes an engine: one transaction per
location); the edges (cli_recall, api/routes/recall) parse, call one of these, render.
"""
