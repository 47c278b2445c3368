"""The office cache: a restart reuses what the last start loaded, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import cache, loader
from app.config.cache import CACHE_FILE, OfficeCache

KEY = b"k" * 32
DEMO = (Path(__file__).resolve().parents[2] / "examples" / "demo-office.yaml").read_text("utf-8")


@pytest.fixture(autouse=True)
def empty_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "_LOADED", {})


def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the texts that are really parsed (not found in memory)."""
    seen: list[str] = []
    real = loader._load_office_text

    def counting(text: str, source: str) -> loader.LoadedOffice:
        seen.append(text)
        return real(text, source)

    monkeypatch.setattr(loader, "_load_office_text", counting)
    return seen


def test_a_restart_loads_the_offices_without_parsing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = OfficeCache(tmp_path, KEY)
    assert first.load() == 0
    before = loader.load_office_text(DEMO, "demo.yaml")
    first.save([DEMO])
    assert (tmp_path / CACHE_FILE).stat().st_mode & 0o077 == 0  # the service's own file

    monkeypatch.setattr(loader, "_LOADED", {})  # a new process
    seen = parses(monkeypatch)
    assert OfficeCache(tmp_path, KEY).load() == 1
    again = loader.load_office_text(DEMO, "demo.yaml")
    assert seen == [] and again == before


def test_an_edited_file_is_parsed_and_validated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader.load_office_text(DEMO)
    OfficeCache(tmp_path, KEY).save([DEMO])
    monkeypatch.setattr(loader, "_LOADED", {})
    seen = parses(monkeypatch)
    OfficeCache(tmp_path, KEY).load()
    edited = DEMO.replace("format: rollekort/office-v1", "format: rollekort/office-v9")
    with pytest.raises(loader.OfficeFileError):
        loader.load_office_text(edited)
    assert seen == [edited]


def test_a_cache_from_other_code_or_torn_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader.load_office_text(DEMO)
    OfficeCache(tmp_path, KEY).save([DEMO])
    monkeypatch.setattr(cache, "fingerprint", lambda: b"another version of the code......")
    assert OfficeCache(tmp_path, KEY).load() == 0
    monkeypatch.undo()
    monkeypatch.setattr(loader, "_LOADED", {})
    path = tmp_path / CACHE_FILE
    path.write_bytes(path.read_bytes()[:100])
    assert OfficeCache(tmp_path, KEY).load() == 0
    assert loader.load_office_text(DEMO).office.id  # parsed as usual


def test_a_cache_not_sealed_with_the_key_is_never_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unpickling runs code: a file written by someone without the key is not even opened up."""
    loader.load_office_text(DEMO)
    OfficeCache(tmp_path, KEY).save([DEMO])
    monkeypatch.setattr(loader, "_LOADED", {})
    unpickled: list[bytes] = []
    monkeypatch.setattr(cache.pickle, "loads", lambda raw: unpickled.append(raw))
    assert OfficeCache(tmp_path, b"another key of 32 bytes or more.").load() == 0
    path = tmp_path / CACHE_FILE
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1  # the pickle edited after sealing
    path.write_bytes(bytes(raw))
    assert OfficeCache(tmp_path, KEY).load() == 0
    assert unpickled == []
