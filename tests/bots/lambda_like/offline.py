"""A bot whose exchange cannot be reached: a refused connection (event "port"), or a name that does not resolve."""

import socket
import urllib.request


def handler(event, context):
    if event.get("dns"):  # what the resolver raises for a name it cannot find
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    urllib.request.urlopen(f"http://127.0.0.1:{event['port']}/api/v2/ticker", timeout=5)
    return {"ok": True}
