"""Accounts and audit are domain code: they import no web framework."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys, pkgutil, importlib
import storenet.accounts, storenet.audit
for pkg in (storenet.accounts, storenet.audit):
    for m in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{m.name}")
print(sorted(n for n in ("fastapi", "starlette", "uvicorn", "httpx") if n in sys.modules))
"""


def test_accounts_and_audit_import_no_web_framework():
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
