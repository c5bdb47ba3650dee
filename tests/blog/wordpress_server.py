"""A stand-in for the old WordPress site: a real HTTP server on loopback serving an uploads folder."""
from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.factories import photo_bytes

# The fixture site's photo attachments, by their path under wp-content/uploads/.
PHOTOS = {"2024/01/boat.jpg": ("JPEG", 900, 600), "2024/01/quay.png": ("PNG", 640, 400),
          "2024/01/nets.jpg": ("JPEG", 500, 500)}


def write_uploads(root: Path) -> Path:
    """An old site's wp-content/uploads with the fixture's photos (2023/05/lost.jpg is missing)."""
    for relative, (fmt, width, height) in PHOTOS.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(photo_bytes(width, height, fmt=fmt))
    (root / "2024/01/prices.pdf").write_bytes(b"%PDF-1.4 not a photo")
    return root


class _Handler(SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args) -> None:  # quiet test output
        pass


@contextlib.contextmanager
def old_site(document_root: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``document_root`` at http://127.0.0.1:<free port>; yield (base URL, paths requested)."""
    requests: list[str] = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(document_root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
