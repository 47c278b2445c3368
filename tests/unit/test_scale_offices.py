"""The bench's offices: two runs on one broker share no id a press or a handset is known by
(button topics carry no office, so shared ids would make each run record the other's presses),
and every written file is a valid office."""

from __future__ import annotations

from pathlib import Path

from app.config.loader import load_office_file
from bench.scale_offices import ScaleOffice, write_offices


def _ids(offices: list[ScaleOffice]) -> set[str]:
    return {i for o in offices for i in (o.office_id, *o.buttons, *o.tokens)}


def test_two_runs_share_no_office_button_or_token(tmp_path: Path) -> None:
    first = write_offices(tmp_path / "a", 3, 4, 3, tag="aaaa")
    second = write_offices(tmp_path / "b", 3, 4, 3, tag="bbbb")
    assert _ids(first).isdisjoint(_ids(second))
    loaded = [load_office_file(p).office for p in sorted((tmp_path / "b").glob("*.yaml"))]
    assert [o.id for o in loaded] == [o.office_id for o in second]
    for written, office in zip(second, loaded, strict=True):
        assert set(written.buttons) <= set(office.triggers)
