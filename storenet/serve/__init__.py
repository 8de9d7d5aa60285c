"""The service app, assembled from its two edges: the API (storenet.api) and the
console (storenet.web), both standing on storenet.http. Nothing below imports this."""
