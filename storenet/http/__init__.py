"""What both HTTP edges stand on: the service object, the callers (tokens, sessions,
CSRF), problem documents, the request body limit and the background job runner.

The API (storenet.api) and the console (storenet.web) import this package and never
each other; storenet.serve assembles the app from both. This package imports the
domain, never an edge.
"""
