"""The console: server-rendered pages (Jinja2 + htmx) over the same service functions
as the API. Every page and fragment resolves the caller from the session cookie and
checks scope in the service layer; writes are htmx POSTs carrying the CSRF token. The
console stands on `storenet.http` and never imports the API (`storenet.api`)."""
