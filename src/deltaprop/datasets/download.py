"""Download and cache the MNIST-format data sets, each file verified by its MD5 checksum.

``fetch("mnist")`` returns the folder ``data_home() / "mnist"`` holding the four standard IDX
files (:data:`STANDARD_FILES`). A file already there whose MD5 matches :data:`MD5` is used as it
is, without touching the network; any other file is fetched from each mirror in turn into a
temporary file in that folder and renamed into place only once its checksum matches. A failed,
corrupt or interrupted download (dropped connection, short body, Ctrl-C) leaves nothing behind,
and the temporary files of a download that was killed outright are removed by the next fetch.

No mirror is trusted further than it must be: each file must arrive within :data:`DEADLINE`
seconds in all (besides :data:`TIMEOUT` for any one stall), a body longer than the file's
published size (:data:`SIZES`) is refused before it is read, and a redirect is followed only to
an ``https`` URL on the mirror's own host or another mirror's (:data:`REDIRECT_SCHEMES`), at most
:data:`MAX_REDIRECTS` times. Every failure is reported in one line.

Environment
-----------
``DELTAPROP_DATA``
    The cache root; default ``~/.cache/deltaprop``.
``DELTAPROP_MNIST_MIRROR``
    One base URL (``https://…/`` or ``file:///…/``) under which the four standard file names
    lie; it replaces :data:`MIRRORS` for every data set here.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..archive import one_line
from ..atomic import atomic_write, remove_stale_temps
from ..validation import known_name

__all__ = ["MD5", "SIZES", "MIRRORS", "STANDARD_FILES", "data_home", "fetch"]

#: The four files of an MNIST-format data set, in the order of the :data:`MD5` tables.
STANDARD_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

#: Published MD5 checksums (the ones torchvision checks), per data set and file.
MD5: dict[str, dict[str, str]] = {
    "mnist": dict(
        zip(
            STANDARD_FILES,
            (
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "d53e105ee54ea40749a09fcbcd1e9432",
                "9fb629c4189551a2d022fa330f9573f3",
                "ec29112dd5afa0611ce80d1b7f02629c",
            ),
        )
    ),
    "fashion-mnist": dict(
        zip(
            STANDARD_FILES,
            (
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "25c81989df183df01b3e8a0aad5dffbe",
                "bef4ecab320f06d8554ea6380940ec79",
                "bb300cfdad3c16e7a12a480ee83cd310",
            ),
        )
    ),
}

#: Published sizes in bytes, per data set and file: a mirror serving more is refused.
SIZES: dict[str, dict[str, int]] = {
    "mnist": dict(zip(STANDARD_FILES, (9912422, 28881, 1648877, 4542))),
    "fashion-mnist": dict(zip(STANDARD_FILES, (26421880, 29515, 4422102, 5148))),
}

#: Base URLs tried in turn; ``$DELTAPROP_MNIST_MIRROR`` replaces the list when set.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}

MIRROR_ENV = "DELTAPROP_MNIST_MIRROR"
DATA_ENV = "DELTAPROP_DATA"

#: Seconds a connection attempt or a single read may stall before the mirror counts as failed.
TIMEOUT: float = 30.0
#: Seconds one file may take from one mirror in all (its largest, 26 MB, needs 0.35 Mbit/s);
#: a read in progress when it passes may add up to TIMEOUT.
DEADLINE: float = 600.0
#: The URL schemes a redirect may lead to.
REDIRECT_SCHEMES: tuple[str, ...] = ("https",)
#: The most redirects followed for one file.
MAX_REDIRECTS = 5
CHUNK_SIZE = 1 << 16


class _MirrorFailed(Exception):
    """One mirror could not deliver one file; the message says why."""


class _Unreachable(_MirrorFailed):
    """The mirror could not be reached at all (no route, refused, DNS, timeout on connect)."""


class _ChecksumMismatch(_MirrorFailed):
    """The mirror delivered the whole file, but with the wrong bytes."""


def data_home() -> Path:
    """Return the cache root: ``$DELTAPROP_DATA`` if set, else ``~/.cache/deltaprop``.

    Returns
    -------
    Path
        The folder under which each data set gets a sub-folder named after it (not created
        here).
    """
    root = os.environ.get(DATA_ENV)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "deltaprop"


def fetch(name: str, progress: bool = True) -> Path:
    """Make sure the four files of data set ``name`` are cached and verified; return their folder.

    Parameters
    ----------
    name : str
        ``"mnist"`` or ``"fashion-mnist"`` (the keys of :data:`MD5`).
    progress : bool
        Show a progress bar on stderr while downloading, if stderr is a terminal. Nothing is
        printed otherwise.

    Returns
    -------
    Path
        ``data_home() / name``, holding the files of :data:`STANDARD_FILES`, each with the MD5
        of :data:`MD5`.

    Raises
    ------
    ValueError
        If ``name`` is unknown, or a file could be fetched from no mirror: the message names the
        file and says why (``checksum mismatch``, network unreachable, ...) and how else to get
        the data.
    """
    known_name("data set name", name, MD5)
    folder = data_home() / name
    remove_stale_temps(folder)  # left by a download killed outright
    for filename in STANDARD_FILES:
        target = folder / filename
        expected = MD5[name][filename]
        if target.is_file() and _md5_of(target) == expected:
            continue  # (verified cache hit: no network)
        folder.mkdir(parents=True, exist_ok=True)
        _fetch_file(name, filename, target, expected, progress)
    return folder


def _mirrors(name: str) -> list[str]:
    """The base URLs to try for ``name``: ``$DELTAPROP_MNIST_MIRROR`` alone, or :data:`MIRRORS`."""
    override = os.environ.get(MIRROR_ENV)
    return [override] if override else list(MIRRORS[name])


def _fetch_file(name: str, filename: str, target: Path, expected: str, progress: bool) -> None:
    """Try each mirror in turn until one delivers ``filename`` with MD5 ``expected``."""
    failures: list[_MirrorFailed] = []
    import urllib.parse  # here, not at the top: importing deltaprop must stay fast

    urls = [base.rstrip("/") + "/" + filename for base in _mirrors(name)]
    hosts = {urllib.parse.urlsplit(url).hostname for url in urls} | {urllib.parse.urlsplit(base).hostname for base in MIRRORS[name]}
    for url in urls:
        try:
            _download(url, target, expected, SIZES[name][filename], hosts, progress)
            return
        except _MirrorFailed as error:
            failures.append(error)
    raise ValueError(_failure_message(name, filename, target.parent, failures))


def _failure_message(name: str, filename: str, folder: Path, failures: list[_MirrorFailed]) -> str:
    """One message naming the file, what went wrong at each mirror and how else to get it."""
    reasons = "; ".join(one_line(f) for f in failures) or "no mirror is configured"
    if any(isinstance(f, _ChecksumMismatch) for f in failures):
        head = f"could not download {filename} for data set {name!r}: checksum mismatch ({reasons})"
    elif failures and all(isinstance(f, _Unreachable) for f in failures):
        head = (
            f"could not download {filename} for data set {name!r}: the network is unreachable "
            f"(offline?) ({reasons})"
        )
    else:
        head = f"could not download {filename} for data set {name!r} ({reasons})"
    ways = []
    if name == "fashion-mnist":
        ways.append("install the Debian package: apt-get install dataset-fashion-mnist")
    ways.append(f"set {MIRROR_ENV} to a base URL (https://... or file:///...) holding {', '.join(STANDARD_FILES)}")
    ways.append(f"or place those files in {folder}")
    return f"{head}. To get the data otherwise: {'; '.join(ways)}"


def _download(url: str, target: Path, expected: str, size: int, hosts: set[str | None], progress: bool) -> None:
    """Stream ``url`` into a temporary file beside ``target``; rename it there if the MD5 matches.

    ``size`` is the file's published size (a longer body is refused) and ``hosts`` the hosts a
    redirect may lead to. Raises :class:`_MirrorFailed` (or a subclass) when this mirror cannot
    deliver; on that or any other exception, KeyboardInterrupt included, the temporary file is
    removed.
    """
    import http.client  # here, not at the top: importing deltaprop must stay fast
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + DEADLINE
    opener = urllib.request.build_opener(_redirect_handler(hosts))
    try:
        response = opener.open(url, timeout=min(TIMEOUT, DEADLINE))
    except _MirrorFailed:
        raise
    except urllib.error.HTTPError as error:
        error.close()
        if 300 <= error.code < 400:
            raise _MirrorFailed(f"{url}: HTTP {error.code}: too many redirects (more than {MAX_REDIRECTS}, or a loop)") from None
        raise _MirrorFailed(f"{url}: HTTP {error.code} {one_line(error.reason)}") from None
    except ValueError as error:  # not a URL urllib can open
        raise _MirrorFailed(f"{url}: {one_line(error)}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, FileNotFoundError):  # a file:// mirror without the file
            raise _MirrorFailed(f"{url}: no such file") from None
        raise _Unreachable(f"{url}: unreachable ({one_line(reason)})") from None
    with response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total > size:
            raise _MirrorFailed(f"{url}: serves {total} bytes, more than the {size} of the published file")
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        with atomic_write(target) as out, _progress(target.name, total, progress) as advance:
            while True:
                if time.monotonic() > deadline:
                    raise _MirrorFailed(f"{url}: took longer than the {DEADLINE:g} s deadline ({received} of {size} bytes received)")
                try:
                    chunk = response.read1(CHUNK_SIZE)  # what has arrived, not a full CHUNK_SIZE: the deadline holds
                except (OSError, http.client.HTTPException) as error:
                    raise _MirrorFailed(f"{url}: connection dropped after {received} bytes ({one_line(repr(error))})") from None
                if not chunk:
                    break
                received += len(chunk)
                if received > size:
                    raise _MirrorFailed(f"{url}: sent more than the {size} bytes of the published file")
                digest.update(chunk)
                out.write(chunk)
                advance(len(chunk))
            if total is not None and received != total:
                raise _MirrorFailed(f"{url}: connection closed after {received} of {total} bytes")
            if digest.hexdigest() != expected:
                raise _ChecksumMismatch(f"{url} served md5 {digest.hexdigest()}, expected {expected}")


def _redirect_handler(hosts: set[str | None]) -> object:
    """A urllib redirect handler that follows only :data:`REDIRECT_SCHEMES` URLs on ``hosts``,
    at most :data:`MAX_REDIRECTS` times, and raises :class:`_MirrorFailed` for any other."""
    import urllib.parse
    import urllib.request

    class Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = MAX_REDIRECTS

        def redirect_request(self, req: object, fp: object, code: int, msg: str, headers: object, newurl: str) -> object:
            parts = urllib.parse.urlsplit(newurl)
            if parts.scheme not in REDIRECT_SCHEMES or parts.hostname not in hosts:
                fp.close()
                raise _MirrorFailed(
                    f"{req.full_url}: redirected ({code}) to {newurl}, refused: only {' or '.join(REDIRECT_SCHEMES)} URLs on "
                    f"{', '.join(sorted(h for h in hosts if h))} are followed"
                )
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return Redirects()


@contextmanager
def _progress(description: str, total: int | None, enabled: bool) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_bytes)``: a rich progress bar on a terminal's stderr, else a no-op."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=Console(file=sys.stderr)) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _md5_of(path: Path) -> str:
    """The hex MD5 of the file at ``path``."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()
