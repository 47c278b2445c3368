"""Office files parsed on every core at a first start (app.config.parallel): what the workers
load is what loading here gives, and a file with problems is still reported as usual."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import loader, parallel
from bench.scale_offices import write_offices


@pytest.fixture(autouse=True)
def nothing_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "_LOADED", {})


def office_folder(tmp: Path, offices: int) -> list[Path]:
    write_offices(tmp, offices, 3, 3)
    return sorted(tmp.glob("*.yaml"))


def test_workers_load_a_share_and_every_office_is_there(tmp_path: Path) -> None:
    paths = office_folder(tmp_path, 60)
    broken = tmp_path / "zz-broken.yaml"
    broken.write_text("office:\n  id: [not, an, id]\n", encoding="utf-8")
    in_workers = parallel.preload([*paths, broken], cores=2)
    assert 0 < in_workers < len(paths), "a worker loaded its share, this process the rest"
    texts = [p.read_text(encoding="utf-8-sig") for p in paths]
    assert len(loader.loaded(texts)) == len(paths)
    for path in paths[:3]:  # the same offices as loading each file here
        here = loader._load_office_text(path.read_text(encoding="utf-8-sig"), str(path))
        assert loader.load_office_file(path).office == here.office
    with pytest.raises(loader.OfficeFileError) as err:
        loader.load_office_file(broken)
    assert err.value.problems, "the broken file's problems are reported as without workers"


def test_few_files_are_loaded_here_alone(tmp_path: Path) -> None:
    paths = office_folder(tmp_path, 10)
    assert parallel.preload(paths, cores=2) == 0, "no worker for ten files"
    assert len(loader.loaded([p.read_text(encoding="utf-8-sig") for p in paths])) == 10


def test_files_loaded_before_are_not_sent_to_workers(tmp_path: Path) -> None:
    paths = office_folder(tmp_path, 60)
    for path in paths:
        loader.load_office_file(path)
    assert parallel.preload(paths, cores=2) == 0
