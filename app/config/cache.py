"""The offices loaded at the last start, kept in the data folder so a restart need not parse them.

Why: parsing and validating an office file takes 10-25 ms on this kind of machine, and a
national deployment has 500 of them: over ten seconds of a restart, during which no office is
protected. Reading back what the last start loaded takes well under a second.

The cache is keyed by each file's exact text and by a fingerprint of the code that loads them
(every source file of `app.config` and `app.core`, and the Python version): an edited office
file, or an upgraded service, is parsed and validated again as usual, and only the offices of
this start are kept. The file lives in the data folder, written 0600, atomically, and sealed
with an HMAC under the service's chain key: the seal is checked before anything in the file is
unpickled, so a file written by someone without the key is ignored, never loaded (unpickling is
running code). An unreadable, stale or unsealed cache is ignored, never trusted in part.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
import sys
from collections.abc import Iterable
from pathlib import Path

import structlog

from app.config import loader

log = structlog.get_logger(__name__)

CACHE_FILE = "office-cache.pickle"
_CODE = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "core")


def fingerprint() -> bytes:
    """Of the code that turns a text into a LoadedOffice: another version never reuses it."""
    digest = hashlib.sha256(sys.version.encode())
    for folder in _CODE:
        for path in sorted(folder.rglob("*.py")):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.digest()


SEAL = hashlib.sha256().digest_size


class OfficeCache:
    """`load()` before the office files are read, `save(texts)` after they all loaded."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.path = folder / CACHE_FILE
        self._key = key
        self._stamp = fingerprint()
        self._had: set[str] = set()

    def load(self) -> int:
        """Put the cached offices where `load_office_text` finds them; how many there were."""
        try:
            raw = self.path.read_bytes()
        except OSError:
            return 0
        if raw[: len(self._stamp)] != self._stamp:
            return 0
        seal, body = raw[len(self._stamp) : len(self._stamp) + SEAL], raw[len(self._stamp) + SEAL :]
        if not hmac.compare_digest(seal, self._seal(body)):
            log.warning("office cache not sealed with this service's key; parsing the files")
            return 0
        try:
            entries = pickle.loads(body)
        except Exception as err:  # a torn or foreign file: parse as if there were none
            log.warning("office cache unreadable; parsing the office files", error=repr(err))
            return 0
        if not isinstance(entries, dict) or not all(
            isinstance(k, str) and isinstance(v, loader.LoadedOffice) for k, v in entries.items()
        ):
            return 0
        loader.remember(entries)
        self._had = set(entries)
        return len(entries)

    def save(self, texts: Iterable[str]) -> None:
        """Keep these texts' loaded offices (those of this start), if any was new."""
        entries = loader.loaded(texts)
        if set(entries) == self._had:
            return
        tmp = self.path.with_name(f".{CACHE_FILE}.{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            body = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(fd, "wb") as out:
                out.write(self._stamp + self._seal(body) + body)
            os.replace(tmp, self.path)
        except OSError as err:  # a read-only data folder: the next start parses again
            log.warning("office cache not written", error=repr(err))
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _seal(self, body: bytes) -> bytes:
        return hmac.new(self._key, self._stamp + body, hashlib.sha256).digest()
