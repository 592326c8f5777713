"""HTTPS requests to the drop box over loopback, trusting only the test CA."""

import ssl
import urllib.error
import urllib.request
from pathlib import Path


def delete(url: str, token: str | None, ca_pem: Path) -> int:
    """DELETEs `url` with `Authorization: Bearer <token>` (none when None); the status."""
    context = ssl.create_default_context(cafile=str(ca_pem))
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    request = urllib.request.Request(url, method="DELETE", headers=headers)
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def post_json(url: str, body: bytes, ca_pem: Path) -> tuple[int, bytes]:
    """POSTs `body` as application/json; returns (status, reply body) for any status."""
    context = ssl.create_default_context(cafile=str(ca_pem))
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
