"""Download and cache: verified by MD5, reused offline, nothing half-written left behind; a
deadline, a size cap and a redirect policy against hostile or broken mirrors.

Every test runs against an HTTP server on 127.0.0.1 that the test itself starts; no test needs
the internet. The MD5 tables are replaced by the checksums of small fake payloads.
"""

from __future__ import annotations

import copy
import hashlib
import http.server
import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deltaprop.datasets import download
from deltaprop.datasets.download import MD5, MIRRORS, SIZES, STANDARD_FILES, data_home, fetch

# the module's own tables, taken before any fixture replaces them
ORIGINAL_MD5 = copy.deepcopy(MD5)
ORIGINAL_MIRRORS = copy.deepcopy(MIRRORS)
ORIGINAL_SIZES = copy.deepcopy(SIZES)

PAYLOADS = {name: (f"fake {name} ".encode() * 200) + bytes(range(256)) for name in STANDARD_FILES}


class Server:
    """A local HTTP server; ``mode`` decides what each request gets, ``requests`` counts them."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[str] = []
        self.sent = 0  # body bytes sent by the trickle, huge and endless modes
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                name = self.path.rsplit("/", 1)[-1]
                if server.mode.startswith("redirect "):  # "redirect URL": every request is sent there
                    target = server.mode.split(" ", 1)[1].replace("SELF", server.url)
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if name not in PAYLOADS or server.mode == "404":
                    self.send_error(404)
                    return
                body = PAYLOADS[name]
                if server.mode == "wrong":
                    body = body[::-1]
                self.send_response(200)
                if server.mode == "trickle":  # one byte at a time, each well within the per-read timeout
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    try:
                        for i in range(len(body)):
                            if server.stop.wait(0.1):
                                break
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            server.sent += 1
                    except OSError:  # the client gave up
                        pass
                    return
                if server.mode in ("huge", "endless"):  # far beyond the published size, declared or not
                    if server.mode == "huge":
                        self.send_header("Content-Length", str(300 * 10**6))
                    self.end_headers()
                    try:
                        for _ in range(300 * 10**6 // 65536):
                            self.wfile.write(bytes(65536))
                            server.sent += 65536
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if server.mode == "truncated":  # promise more than is sent, then hang up
                    self.send_header("Content-Length", str(len(body) + 1000))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/data/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def serve() -> Iterator[Callable[[str], Server]]:
    """Start servers on demand (``serve("good")``); all are shut down after the test."""
    servers: list[Server] = []

    def start(mode: str = "good") -> Server:
        servers.append(Server(mode))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
def fake_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Cache under tmp_path, checksums of the fake payloads, short timeouts, no real mirrors."""
    monkeypatch.setenv("DELTAPROP_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("DELTAPROP_MNIST_MIRROR", raising=False)
    fake = {name: hashlib.md5(body).hexdigest() for name, body in PAYLOADS.items()}
    for set_name in MD5:
        monkeypatch.setitem(MD5, set_name, fake)
        monkeypatch.setitem(SIZES, set_name, {name: len(body) for name, body in PAYLOADS.items()})
        monkeypatch.setitem(MIRRORS, set_name, [])
    monkeypatch.setattr(download, "TIMEOUT", 2.0)
    return tmp_path / "cache"


def closed_port_url() -> str:
    """A URL on a local port that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/data/"


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_published_checksums_and_mirrors():
    assert STANDARD_FILES == (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    )
    assert list(ORIGINAL_MD5["mnist"].values()) == [
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "d53e105ee54ea40749a09fcbcd1e9432",
        "9fb629c4189551a2d022fa330f9573f3",
        "ec29112dd5afa0611ce80d1b7f02629c",
    ]
    assert list(ORIGINAL_MD5["fashion-mnist"].values())[-1] == "bb300cfdad3c16e7a12a480ee83cd310"
    assert all(list(table) == list(STANDARD_FILES) for table in ORIGINAL_MD5.values())
    assert ORIGINAL_MIRRORS["fashion-mnist"] == ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    assert len(ORIGINAL_MIRRORS["mnist"]) == 2


def test_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("DELTAPROP_DATA", str(tmp_path / "x"))
    assert data_home() == tmp_path / "x"
    monkeypatch.delenv("DELTAPROP_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_home() == tmp_path / "home" / ".cache" / "deltaprop"


def test_fetch_downloads_and_verifies_the_four_files(serve, monkeypatch, fake_data):
    server = serve("good")
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", server.url.rstrip("/"))  # with or without a slash
    folder = fetch("mnist", progress=False)
    assert folder == fake_data / "mnist"
    assert listing(folder) == sorted(STANDARD_FILES)  # no temporary files either
    for name, body in PAYLOADS.items():
        assert (folder / name).read_bytes() == body
    assert len(server.requests) == 4


def test_verified_cache_makes_no_request(serve, monkeypatch):
    server = serve("good")
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", server.url)
    folder = fetch("fashion-mnist", progress=False)
    assert len(server.requests) == 4
    assert fetch("fashion-mnist", progress=False) == folder
    assert len(server.requests) == 4
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", closed_port_url())  # offline now: still fine
    assert fetch("fashion-mnist", progress=False) == folder


def test_wrong_bytes_raise_checksum_mismatch_and_leave_nothing(serve, monkeypatch, fake_data):
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", serve("wrong").url)
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        fetch("mnist", progress=False)
    assert STANDARD_FILES[0] in str(info.value)
    assert listing(fake_data / "mnist") == []


def test_connection_dropped_half_way_leaves_nothing(serve, monkeypatch, fake_data):
    server = serve("truncated")
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", server.url)
    with pytest.raises(ValueError, match=STANDARD_FILES[0]) as info:
        fetch("mnist", progress=False)
    assert "checksum mismatch" not in str(info.value)
    assert listing(fake_data / "mnist") == []
    assert len(server.requests) == 1


def test_keyboard_interrupt_leaves_nothing(serve, monkeypatch, fake_data):
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", serve("good").url)
    monkeypatch.setattr(download, "CHUNK_SIZE", 100)

    @contextmanager
    def interrupting_progress(description, total, enabled):
        def advance(n):
            raise KeyboardInterrupt

        yield advance

    monkeypatch.setattr(download, "_progress", interrupting_progress)
    with pytest.raises(KeyboardInterrupt):
        fetch("mnist", progress=False)
    assert listing(fake_data / "mnist") == []


def test_next_mirror_after_a_bad_one(serve, monkeypatch, fake_data):
    good = serve("good")
    mirrors = [closed_port_url(), serve("404").url, serve("wrong").url, serve("truncated").url, good.url]
    monkeypatch.setitem(MIRRORS, "mnist", mirrors)
    folder = fetch("mnist", progress=False)
    assert listing(folder) == sorted(STANDARD_FILES)
    assert all((folder / n).read_bytes() == b for n, b in PAYLOADS.items())
    assert len(good.requests) == 4


def test_unreachable_mirrors_say_offline_and_how_else(monkeypatch, fake_data):
    monkeypatch.setitem(MIRRORS, "fashion-mnist", [closed_port_url(), closed_port_url()])
    with pytest.raises(ValueError) as info:
        fetch("fashion-mnist", progress=False)
    message = str(info.value)
    assert "unreachable" in message and "offline" in message
    assert STANDARD_FILES[0] in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "DELTAPROP_MNIST_MIRROR" in message and str(fake_data / "fashion-mnist") in message
    assert "checksum mismatch" not in message
    assert listing(fake_data / "fashion-mnist") == []


def test_mixed_failures_still_report_the_checksum_mismatch(serve, monkeypatch):
    monkeypatch.setitem(MIRRORS, "mnist", [closed_port_url(), serve("wrong").url])
    with pytest.raises(ValueError, match="checksum mismatch"):
        fetch("mnist", progress=False)


def test_corrupted_cached_file_is_downloaded_again(serve, monkeypatch):
    server = serve("good")
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", server.url)
    folder = fetch("mnist", progress=False)
    victim = folder / STANDARD_FILES[2]
    victim.write_bytes(b"garbage")
    fetch("mnist", progress=False)
    assert victim.read_bytes() == PAYLOADS[STANDARD_FILES[2]]
    assert server.requests[4:] == ["/data/" + STANDARD_FILES[2]]
    assert listing(folder) == sorted(STANDARD_FILES)


def test_file_url_mirror(tmp_path, monkeypatch, fake_data):
    source = tmp_path / "elsewhere"
    source.mkdir()
    for name, body in PAYLOADS.items():
        (source / name).write_bytes(body)
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", source.as_uri())
    assert listing(fetch("mnist", progress=False)) == sorted(STANDARD_FILES)


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="mnist, fashion-mnist"):
        fetch("cifar")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bar_only_when_asked_on_a_terminal(serve, monkeypatch, progress):
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", serve("good").url)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fetch("mnist", progress=progress)
    assert (STANDARD_FILES[0] in terminal.getvalue()) == progress
    if not progress:
        assert terminal.getvalue() == ""


def test_no_output_when_stderr_is_not_a_terminal(serve, monkeypatch, capsys):
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", serve("good").url)
    fetch("mnist", progress=True)
    assert capsys.readouterr() == ("", "")


# ---------------------------------------------------------------- hostile or broken mirrors
def test_published_sizes_match_the_debian_copies_of_fashion_mnist():
    """Debian's files are the published ones re-compressed without the gzip FNAME field (the
    original name and a NUL); where the package is installed, the sizes must agree to the byte."""
    assert all(list(table) == list(STANDARD_FILES) for table in ORIGINAL_SIZES.values())
    assert max(max(t.values()) for t in ORIGINAL_SIZES.values()) < 30 * 10**6
    folder = Path("/usr/share/datasets/fashion-mnist")
    if not folder.is_dir():
        pytest.skip("the dataset-fashion-mnist package is not installed")
    for name in STANDARD_FILES:
        stored_name = len(name.removesuffix(".gz")) + 1
        assert (folder / name).stat().st_size + stored_name == ORIGINAL_SIZES["fashion-mnist"][name]


def one_line_failure(fetch_it) -> str:
    with pytest.raises(ValueError) as info:
        fetch_it()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_trickling_mirror_is_dropped_at_the_deadline(serve, monkeypatch, fake_data):
    server = serve("trickle")
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", server.url)
    monkeypatch.setattr(download, "TIMEOUT", 5.0)  # each byte comes well within it: only the deadline can stop this
    monkeypatch.setattr(download, "DEADLINE", 1.0)
    start = time.monotonic()
    message = one_line_failure(lambda: fetch("mnist", progress=False))
    took = time.monotonic() - start
    assert f"{server.url}{STANDARD_FILES[0]}: took longer than the 1 s deadline (" in message
    assert 0 < server.sent < len(PAYLOADS[STANDARD_FILES[0]])
    assert took < 1.0 + 5.0  # the deadline, plus at most one read's stall
    assert listing(fake_data / "mnist") == []


@pytest.mark.parametrize("mode", ["huge", "endless"])
def test_a_body_beyond_the_published_size_is_refused_without_downloading_it(serve, monkeypatch, fake_data, mode):
    server = serve(mode)
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", server.url)
    message = one_line_failure(lambda: fetch("mnist", progress=False))
    size = len(PAYLOADS[STANDARD_FILES[0]])
    if mode == "huge":  # refused from its Content-Length, before a byte of the body is read
        assert f"serves 300000000 bytes, more than the {size} of the published file" in message
    else:  # no length declared: refused as soon as it passes the published size
        assert f"sent more than the {size} bytes of the published file" in message
    assert server.sent < 50 * 10**6  # the server was cut off long before its 300 MB
    assert listing(fake_data / "mnist") == []


def test_a_redirect_to_plain_http_is_refused(serve, monkeypatch, fake_data):
    good = serve("good")
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", serve(f"redirect {good.url}{STANDARD_FILES[0]}").url)
    message = one_line_failure(lambda: fetch("mnist", progress=False))
    assert f"redirected (302) to {good.url}{STANDARD_FILES[0]}, refused: only https URLs on 127.0.0.1" in message
    assert good.requests == []


def test_a_redirect_to_another_host_is_refused(serve, monkeypatch, fake_data):
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", serve("redirect https://elsewhere.invalid/x.gz").url)
    message = one_line_failure(lambda: fetch("mnist", progress=False))
    assert "redirected (302) to https://elsewhere.invalid/x.gz, refused: only https URLs on 127.0.0.1" in message


def test_a_redirect_loop_is_one_line(serve, monkeypatch, fake_data):
    monkeypatch.setattr(download, "REDIRECT_SCHEMES", ("http", "https"))  # the local server speaks plain http
    server = serve("redirect SELF" + STANDARD_FILES[0])
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", server.url)
    message = one_line_failure(lambda: fetch("mnist", progress=False))
    assert "HTTP 302: too many redirects (more than 5, or a loop)" in message
    assert len(server.requests) <= 6


def test_a_redirect_within_the_policy_is_followed(serve, monkeypatch, fake_data):
    monkeypatch.setattr(download, "REDIRECT_SCHEMES", ("http", "https"))
    good = serve("good")
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", serve(f"redirect {good.url}{STANDARD_FILES[0]}").url)
    monkeypatch.setitem(download.SIZES["mnist"], STANDARD_FILES[0], len(PAYLOADS[STANDARD_FILES[0]]))
    for name in STANDARD_FILES[1:]:  # every request lands on the first file: only it can verify
        monkeypatch.setitem(download.MD5["mnist"], name, download.MD5["mnist"][STANDARD_FILES[0]])
        monkeypatch.setitem(download.SIZES["mnist"], name, len(PAYLOADS[STANDARD_FILES[0]]))
    folder = fetch("mnist", progress=False)
    assert (folder / STANDARD_FILES[0]).read_bytes() == PAYLOADS[STANDARD_FILES[0]]
    assert len(good.requests) == 4


def dead_pid() -> int:
    """The pid of a process that has just ended."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_a_killed_downloads_temporary_file_is_removed_by_the_next_fetch(serve, monkeypatch, fake_data):
    folder = fake_data / "mnist"
    folder.mkdir(parents=True)
    stale = folder / f".{STANDARD_FILES[0]}.{dead_pid()}.k1ll3d__.tmp"
    live = folder / f".{STANDARD_FILES[1]}.{os.getpid()}.wr1t1ng_.tmp"  # a download in progress in this process
    stale.write_bytes(b"half of a download")
    live.write_bytes(b"still being written")
    monkeypatch.setenv("DELTAPROP_MNIST_MIRROR", serve("good").url)
    fetch("mnist", progress=False)
    assert listing(folder) == sorted([live.name, *STANDARD_FILES])


def test_the_cli_reports_a_redirect_loop_in_one_line(serve, fake_data):
    from tests import hostile

    server = serve("redirect SELF" + STANDARD_FILES[0])
    env = {**os.environ, "DELTAPROP_DATA": str(fake_data), "DELTAPROP_MNIST_MIRROR": server.url}
    outcome = hostile.run_cli("train", "--dataset", "mnist", "--epochs", "1", "--quiet", env=env)
    hostile.assert_refused(outcome, f"could not download {STANDARD_FILES[0]} for data set 'mnist'", "refused: only https URLs on 127.0.0.1")
    assert listing(fake_data / "mnist") == []
