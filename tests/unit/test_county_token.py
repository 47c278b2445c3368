"""A county coordinator's token, listed by each office's file, sees every office that lists it,
and only those; one token with two roles is refused."""

from __future__ import annotations

import pytest
import yaml

from app.config.loader import load_office_text
from app.service.offices import OfficeDirectory
from tests.e2e.county import COUNTY_TOKEN, OFFICES, county_texts


def test_a_token_listed_by_several_offices_sees_all_of_them() -> None:
    directory = OfficeDirectory([load_office_text(t) for t in county_texts().values()])
    county = directory.principal_for_token(COUNTY_TOKEN)
    assert county is not None and county.offices == frozenset(OFFICES)
    demo = directory.principal_for_token("demo-coordinator")
    assert demo is not None and demo.offices == frozenset({"demo"})


def test_one_token_with_two_roles_is_refused() -> None:
    texts = county_texts()
    nord = yaml.safe_load(texts["nord"])
    nord["api_tokens"][0]["role"] = "viewer"
    loaded = [load_office_text(texts["demo"]), load_office_text(yaml.safe_dump(nord))]
    with pytest.raises(ValueError, match="roles"):
        OfficeDirectory(loaded)
