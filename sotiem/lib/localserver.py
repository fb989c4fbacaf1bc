"""Helpers for tests and benchmarks that start a real server on loopback."""

import socket
import time
import urllib.request


def free_port() -> int:
    """A TCP port on loopback nobody listens on, for a server a test or benchmark starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_healthy(url: str, *, seconds: float = 30) -> None:
    """Poll `<url>/healthz` until it answers; raise if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer /healthz within {seconds} s")
