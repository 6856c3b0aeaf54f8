"""The playground's HTTP server: the page, the JSON API and the stream of frames.

Routes (DESIGN.md fixes the first five)::

    GET  /                 the page (one self-contained file: no external loads)
    GET  /api/state        settings, sizes, activations, cost_function, weights, biases, l2, l1,
                           epoch, step, cost, test_cost, probe {x, y}, the data and the history
    POST /api/control      {"action": "play"|"pause"|"step"|"reset"|"configure", "steps": k, ...settings}
    GET  /api/explain      ?layer=L&neuron=J[&weight=K]: deltaprop.explain's JSON for the probe example
                           (with weight K, also the derivation of w^L_JK: explain's derive=True)
    GET  /api/derivation   ?layer=L&neuron=J&weight=K: that derivation as explain's HTML page
    GET  /api/events       server-sent events: one frame (JSON) per new snapshot, at most FPS a second
    GET  /api/export       ?format=npz|onnx|report: the model or the run's report, as a download

Every request is treated as hostile. The server binds 127.0.0.1 unless told otherwise. A request
whose ``Host`` is not the server's own is refused with 403 (a DNS-rebinding page names its own
host), and so is one whose ``Origin`` or ``Sec-Fetch-Site`` says it comes from another site, so
no other page in the same browser can drive or read it. A POST must say
``Content-Type: application/json`` (an HTML form cannot) and give a ``Content-Length`` within
:data:`LIMITS` ``["body_bytes"]`` (413 otherwise). Malformed requests get 400 and an error in
JSON, ``{"error": "..."}``; a request the run's state refuses (stepping a diverged run) gets 409.
Nothing a request sends can stop the server: an unexpected exception answers 500 with its
one-line message and the server goes on.
"""

from __future__ import annotations

import ipaddress
import json
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .downloads import download
from .session import FPS, Conflict, Session, curve
from .settings import LIMITS

__all__ = ["PlaygroundServer", "FPS", "HEARTBEAT_SECONDS", "LOOPBACK"]

#: An idle event stream sends a comment this often, so that a closed page is noticed.
HEARTBEAT_SECONDS = 10.0
#: The host names that are this machine itself.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def page() -> bytes:
    """The page, read from the package's data (it is installed beside this module)."""
    return resources.files(__package__).joinpath("page.html").read_bytes()


class PlaygroundServer(ThreadingHTTPServer):
    """A threading HTTP server for one :class:`Session`.

    Parameters
    ----------
    session : Session
    host : str
        The address to bind (127.0.0.1 by default); also the host name the page must be
        reached by (IP addresses and ``localhost`` are always accepted).
    port : int
        0 picks a free port (see :attr:`url`).
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, session: Session, host: str = "127.0.0.1", port: int = 0) -> None:
        self.session = session
        self.host = host
        self.closing = threading.Event()
        if ":" in host:
            import socket

            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        """``http://HOST:PORT/``: the address to open."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> threading.Thread:
        """Serve in a background thread (for tests and benchmarks); return it."""
        thread = threading.Thread(target=self.serve_forever, args=(0.05,), name="deltaprop-playground-server", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Stop serving, end the event streams, stop training and remove temporary files."""
        self.closing.set()
        self.shutdown()
        self.server_close()
        self.session.close()

    def host_allowed(self, header: str | None) -> bool:
        """Whether a ``Host`` header names this server: its port, and an IP address,
        ``localhost`` or the host it was bound to (never another name, which a rebinding
        attacker's page would carry)."""
        if not header:
            return False
        parts = urlsplit(f"//{header}")
        try:
            port, name = parts.port, parts.hostname
        except ValueError:
            return False
        if port != self.port or not name:
            return False
        if name in LOOPBACK or name == self.host.lower():
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    protocol_version = "HTTP/1.1"
    server_version = "deltaprop-playground"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the URL, not every request."""

    # ---------------------------------------------------------------- methods
    def do_GET(self) -> None:
        self._answer(self._get)

    def do_POST(self) -> None:
        self._answer(self._post)

    def _not_allowed(self) -> None:
        self._answer(lambda: self._refuse(HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command} is not allowed; use GET or POST"))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _not_allowed

    def _answer(self, handle: Any) -> None:
        try:
            self._check_origin()
            handle()
        except _Refused as e:
            self._json({"error": str(e)}, e.status)
        except Conflict as e:
            self._json({"error": str(e)}, HTTPStatus.CONFLICT)
        except (ValueError, TypeError) as e:
            self._json({"error": str(e)}, HTTPStatus.BAD_REQUEST)
        except ImportError as e:
            self._json({"error": str(e)}, HTTPStatus.NOT_IMPLEMENTED)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # the server lives on; the page shows the message
            print(f"deltaprop playground: {type(e).__name__}: {e}", file=sys.stderr)
            self._json({"error": f"{type(e).__name__}: {e}"}, HTTPStatus.INTERNAL_SERVER_ERROR)

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        raise _Refused(status, message)

    def _check_origin(self) -> None:
        host = self.headers.get("Host")
        if not self.server.host_allowed(host):
            self._refuse(HTTPStatus.FORBIDDEN, f"Host {host!r} is not this server's own ({self.server.url})")
        origin = self.headers.get("Origin")
        if origin is not None and origin != f"http://{host}":
            self._refuse(HTTPStatus.FORBIDDEN, f"Origin {origin!r} is not this server's own (http://{host})")
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            self._refuse(HTTPStatus.FORBIDDEN, f"a request from another site (Sec-Fetch-Site: {site}) may not use this server")

    # ---------------------------------------------------------------- routes
    def _get(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        session = self.server.session
        if parts.path == "/":
            self._send(page(), "text/html; charset=utf-8", HTTPStatus.OK, {"Content-Security-Policy": _PAGE_POLICY})
        elif parts.path == "/api/state":
            self._json(session.state())
        elif parts.path == "/api/explain":
            weight = _integer(query, "weight") if "weight" in query else None
            self._json(session.explanation(_integer(query, "layer"), _integer(query, "neuron"), weight))
        elif parts.path == "/api/derivation":
            html = session.derivation_page(*(_integer(query, name) for name in ("layer", "neuron", "weight")))
            self._send(html.encode("utf-8"), "text/html; charset=utf-8", HTTPStatus.OK, {"Content-Security-Policy": _PAGE_POLICY})
        elif parts.path == "/api/events":
            self._events()
        elif parts.path == "/api/export":
            content, name, media = download(session.snapshot, _one(query, "format"))
            self._send(content, media, HTTPStatus.OK, {"Content-Disposition": f'attachment; filename="{name}"'})
        else:
            self._refuse(HTTPStatus.NOT_FOUND, f"no such page: {parts.path}")

    def _post(self) -> None:
        if urlsplit(self.path).path != "/api/control":
            self._refuse(HTTPStatus.NOT_FOUND, f"no such page: {urlsplit(self.path).path}")
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Type must be application/json; got {kind or 'none'}")
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._refuse(HTTPStatus.LENGTH_REQUIRED, "Content-Length must give the size of the JSON body")
        if int(length) > LIMITS["body_bytes"]:
            self.close_connection = True  # the body is not read
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body has {length} bytes; at most {LIMITS['body_bytes']} are taken")
        body = self.rfile.read(int(length))
        try:
            request = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        except (ValueError, RecursionError) as e:
            raise ValueError(f"the body is not JSON: {e}") from None
        self._json(self.server.session.control(request))

    def _events(self) -> None:
        """Frames as server-sent events: one for each new snapshot, at most FPS a second."""
        session = self.server.session
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        session.listen(+1)
        try:
            self._stream(session)
        finally:
            session.listen(-1)

    def _stream(self, session: Session) -> None:
        shown, run, epochs, quiet_since = None, None, 0, time.monotonic()
        while not self.server.closing.is_set():
            started = time.monotonic()
            snap = session.snapshot
            key = (snap.run, snap.steps, snap.playing, snap.diverged, snap.source.settings.probe)
            if key != shown:
                if snap.run != run:
                    run, epochs = snap.run, 0
                frame = dict(session.frame(snap), curve=curve(snap, epochs), probe=snap.source.settings.probe)
                epochs = snap.epochs_measured
                self.wfile.write(b"data: " + json.dumps(frame, allow_nan=False).encode("utf-8") + b"\n\n")
                self.wfile.flush()
                shown, quiet_since = key, started
            elif started - quiet_since > HEARTBEAT_SECONDS:
                self.wfile.write(b": still here\n\n")
                self.wfile.flush()
                quiet_since = started
            time.sleep(max(0.0, 1.0 / FPS - (time.monotonic() - started)))

    # ---------------------------------------------------------------- answers
    def _json(self, value: object, status: HTTPStatus = HTTPStatus.OK) -> None:
        try:
            text = json.dumps(value, allow_nan=False)
        except ValueError as e:  # a NaN in an answer is the server's fault, not the request's
            text, status = json.dumps({"error": f"the answer could not be written as JSON: {e}"}), HTTPStatus.INTERNAL_SERVER_ERROR
        self._send(text.encode("utf-8"), "application/json", status)

    def _send(self, content: bytes, media: str, status: HTTPStatus, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)


#: The page may run its own inline script and style and talk to this server; nothing else.
_PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    if not values or len(values) != 1:
        raise ValueError(f"{name} must be given once in the query; got {len(values or [])} values")
    return values[0]


def _integer(query: dict[str, list[str]], name: str) -> int:
    text = _one(query, name)
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise ValueError(f"{name} must be a whole number; got {text[:20]!r}")
    return int(text)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")
