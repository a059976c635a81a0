"""Serving: the ASGI app and its routing, the HTTP wire protocol, the access log, the process starter."""
