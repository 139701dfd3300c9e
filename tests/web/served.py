"""The app under uvicorn on a free port of this machine, in a thread: what the browser tests point Chromium at."""

from __future__ import annotations

import socket
import threading
import time


def serve(app) -> tuple[str, object, threading.Thread, socket.socket]:
    """Start `app` under uvicorn on a free port of this machine, in a thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start within 20 seconds"
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread, sock
