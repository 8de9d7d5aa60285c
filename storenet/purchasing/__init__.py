"""Suppliers and purchase orders: from a draft to the last receipt (DESIGN section 7)."""
