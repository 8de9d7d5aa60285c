"""Loaders for public sales data (read in place, never copied into the repository)."""
