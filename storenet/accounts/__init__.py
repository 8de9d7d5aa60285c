"""Accounts and access: users, passwords, sessions and device tokens, roles and scopes.

Plain functions over a connection; no web framework here. The API calls
`storenet.accounts.access.require` on every route (function scope and object scope).
"""
