"""The HTTP service (`storenet serve`): thin FastAPI edges over the service functions.

Routes parse, check access (`storenet.accounts.access`), call one service function in
one transaction, and render; errors become problem documents (`problems`).
"""
