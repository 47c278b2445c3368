"""Where the timeline's chain key comes from: a setting, a file, or one generated beside the data.

The key must live outside the database: whoever can write the database must not be able to
re-hash a timeline. Order: `ROLLEKORT_CHAIN_KEY` (hex or any text of 32+ characters), else the
file `ROLLEKORT_CHAIN_KEY_FILE`, else `chain.key` in the data folder (the SQLite file's folder,
or `ROLLEKORT_DATA_DIR`), generated there (mode 0600) on first start. The key is never logged.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

KEY_BYTES = 32
MIN_KEY_CHARS = 32
DEFAULT_KEY_FILE = "chain.key"


class ChainKeyError(RuntimeError):
    """The configured key is unusable; the service refuses to start rather than run unkeyed."""


def load_chain_key(
    key: str | None, key_file: Path | None, folder: Path, generate: bool = True
) -> bytes:
    """The key's bytes from the setting, the file, or the data folder's file (generated there
    when missing, unless `generate` is False: a verifier must not invent a key)."""
    if key is not None:
        return _parse(key, "ROLLEKORT_CHAIN_KEY")
    if key_file is not None:
        if not key_file.is_file():
            raise ChainKeyError(f"chain key file {key_file} does not exist")
        return _parse(key_file.read_text("utf-8").strip(), str(key_file))
    path = folder / DEFAULT_KEY_FILE
    if not path.exists():
        if not generate:
            raise ChainKeyError(f"no chain key: {path} does not exist and none is configured")
        _generate(path)
    return _parse(path.read_text("utf-8").strip(), str(path))


def _parse(text: str, where: str) -> bytes:
    if len(text) < MIN_KEY_CHARS:
        raise ChainKeyError(f"chain key from {where} is shorter than {MIN_KEY_CHARS} characters")
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def _generate(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_hex(KEY_BYTES) + "\n")
    log.warning("chain key generated: keep a copy apart from the database backups", path=str(path))
