"""Store standards audits: versioned checklist templates, audits of stores scored item
by item with photos and notes, corrective actions opened by failed items and closed
only by a re-audit passing them, and each store's standards score and its history.

One idea per module: `templates` (checklists and their versions), `score` (the
weighted score, exact), `photos` (content-addressed, type- and size-checked files),
`audits` (starting, scoring, attaching photos, reading), `status` (the audit's state
machine), `corrective` (corrective actions and overdue ones), `history` (a store's
score and its history), `assignments` (which stores a standards auditor audits) and
`actions` (each of those behind its access check, for the edges).
"""
