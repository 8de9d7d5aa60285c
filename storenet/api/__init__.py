"""The HTTP API of `storenet serve`: thin FastAPI routes over the service functions.

Routes parse, check access (`storenet.accounts.access`), call one service function in
one transaction, and render; errors become problem documents
(`storenet.http.problems`, answered by `storenet.serve.errors`). The API stands on
`storenet.http` and never imports the console (`storenet.web`).
"""
