"""The ceiling: a bare ASGI endpoint on the same HTTP server twoco uses (uvicorn, same settings),
answering every POST with a fixed SOAP response after reading the body, as twoco does.

    python bench/ceiling.py PORT [WORKERS]

With WORKERS > 1 it is served from that many processes, as ``twoco serve --workers`` is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

RESPONSE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
    b' xmlns:ns1="urn:order" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    b'<SOAP-ENV:Body><ns1:updateCustomerInformationResponse><return xsi:type="xsd:boolean">true</return>'
    b"</ns1:updateCustomerInformationResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)
HEADERS = [(b"content-type", b"text/xml; charset=utf-8"), (b"content-length", str(len(RESPONSE)).encode())]


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": RESPONSE})


def serve(app, module: str, port: int, workers: int) -> None:
    """Serve ``app`` on loopback, from ``workers`` processes (each imports it from bench/``module``.py)."""
    settings = {"host": "127.0.0.1", "port": port, "log_level": "warning", "access_log": False, "lifespan": "off"}
    if workers > 1:  # worker processes import the app by name
        uvicorn.run(f"{module}:app", app_dir=str(Path(__file__).parent), workers=workers, **settings)
    else:
        uvicorn.run(app, **settings)


if __name__ == "__main__":
    serve(app, "ceiling", int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
