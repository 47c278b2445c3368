"""Pairing on an in-memory store: a code works once and only for 15 minutes, the token signs in
(and survives a role-card activation), a revoked handset stops signing in, and neither codes nor
tokens are stored or logged in the clear."""

from __future__ import annotations

import builtins
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from app.config.loader import load_office_text
from app.service.offices import OfficeDirectory, token_digest
from app.service.pairing import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CODE_TTL,
    ExpiredCode,
    HandsetTaken,
    NotFound,
    PairedRow,
    Pairing,
    PairingRefused,
    UnknownCode,
    UnknownHandset,
    UnknownPerson,
    normalise_code,
)
from app.service.rolecards.versions import RoleCardVersions
from tests.conftest import DEMO_OFFICE
from tests.fakes.versions import FakeVersionStore

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DEMO = DEMO_OFFICE.read_text(encoding="utf-8")


class FakeHandsetStore:
    """The HandsetStore port in memory (the SQL store's contract: tests/integration)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], PairedRow] = {}

    async def create(self, row: PairedRow) -> None:
        codes = {r.pairing_code_sha256 for r in self.rows.values()}
        if (row.office_id, row.handset_id) in self.rows or row.pairing_code_sha256 in codes:
            raise HandsetTaken("taken")
        self.rows[(row.office_id, row.handset_id)] = row

    async def pair(self, code_sha256: str, token_sha256: str, at: datetime) -> PairedRow:
        found = [r for r in self.rows.values() if r.pairing_code_sha256 == code_sha256]
        if not found or found[0].revoked_at is not None:
            raise UnknownCode()
        if found[0].code_expires_at <= at:
            raise ExpiredCode()
        row = replace(found[0], token_sha256=token_sha256, pairing_code_sha256=None, paired_at=at)
        self.rows[(row.office_id, row.handset_id)] = row
        return row

    async def revoke(self, office_id: str, handset_id: str, at: datetime, by: str) -> PairedRow:
        row = self.rows.get((office_id, handset_id))
        if row is None:
            raise UnknownHandset(office_id, handset_id)
        if row.revoked_at is None:
            row = replace(row, revoked_at=at, revoked_by=by, pairing_code_sha256=None)
            self.rows[(office_id, handset_id)] = row
        return row

    async def get(self, office_id: str, handset_id: str) -> PairedRow | None:
        return self.rows.get((office_id, handset_id))

    async def list(self, office_id: str) -> builtins.list[PairedRow]:
        rows = [r for r in self.rows.values() if r.office_id == office_id]
        return sorted(rows, key=lambda r: r.created_at, reverse=True)

    async def active(self) -> builtins.list[PairedRow]:
        return [r for r in self.rows.values() if r.token_sha256 and r.revoked_at is None]


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> FakeHandsetStore:
    return FakeHandsetStore()


@pytest.fixture
def offices() -> OfficeDirectory:
    return OfficeDirectory([load_office_text(DEMO)])


@pytest.fixture
def pairing(store: FakeHandsetStore, offices: OfficeDirectory, clock: Clock) -> Pairing:
    return Pairing(store, offices, clock.now)


async def test_a_code_is_short_typeable_stored_hashed_and_trades_for_a_token(
    pairing: Pairing, store: FakeHandsetStore, offices: OfficeDirectory
) -> None:
    with capture_logs() as logs:
        handset_id, code = await pairing.create("demo", "lise", "coordinator (token abcd1234)")
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1IL")
        [row] = store.rows.values()
        assert row.pairing_code_sha256 == token_digest(code) and row.token_sha256 is None
        assert row.code_expires_at == T0 + CODE_TTL == T0 + timedelta(minutes=15)
        assert offices.handset_for_token(code) is None

        token = await pairing.pair(f" {code[:4].lower()}-{code[4:]} ")  # as a person types it
    assert len(token) >= 43
    [row] = store.rows.values()
    assert (row.token_sha256, row.pairing_code_sha256) == (token_digest(token), None)
    found = offices.handset_for_token(token)
    assert found is not None
    office, handset = found
    assert (office.id, handset.id, handset.person_id) == ("demo", handset_id, "lise")
    assert office.handsets[handset_id] == handset and "hs-lise" in office.handsets
    assert offices.office("demo") is office
    assert offices.office_of_handset_digest(token_digest(token)) == "demo"
    assert row.status(T0) == "paired"
    text = repr(logs)
    assert code not in text and token not in text and token_digest(token) not in text


async def test_a_code_works_once(pairing: Pairing) -> None:
    _, code = await pairing.create("demo", "per", "admin")
    first = await pairing.pair(code)
    with pytest.raises(UnknownCode):
        await pairing.pair(code)
    _, other = await pairing.create("demo", "per", "admin")
    assert other != code
    assert await pairing.pair(other) != first


async def test_an_expired_code_is_refused_with_a_clear_error(
    pairing: Pairing, clock: Clock, store: FakeHandsetStore
) -> None:
    handset_id, code = await pairing.create("demo", "gro", "admin")
    clock.at = T0 + CODE_TTL - timedelta(seconds=1)
    assert (await pairing.get("demo", handset_id)).status(clock.at) == "pending"
    clock.at = T0 + CODE_TTL
    assert [r.status(clock.at) for r in await pairing.list("demo")] == ["expired"]
    with pytest.raises(ExpiredCode, match="expired: ask the coordinator for a new one"):
        await pairing.pair(code)
    assert store.rows[("demo", handset_id)].token_sha256 is None


@pytest.mark.parametrize("code", ["", "ABC", "ABCDEFGHJ", "ABCDEF0O", "ÆØÅABCDE"])
async def test_malformed_codes_are_refused_before_the_store(pairing: Pairing, code: str) -> None:
    assert normalise_code(code) is None
    with pytest.raises(PairingRefused):
        await pairing.pair(code)


async def test_revoke_stops_the_token_and_the_unused_code(
    pairing: Pairing, offices: OfficeDirectory, store: FakeHandsetStore
) -> None:
    paired_id, code = await pairing.create("demo", "lise", "admin")
    token = await pairing.pair(code)
    waiting_id, waiting = await pairing.create("demo", "per", "admin")
    row = await pairing.revoke("demo", paired_id, "coordinator")
    assert row.revoked_by == "coordinator" and row.status(T0) == "revoked"
    assert offices.handset_for_token(token) is None
    assert paired_id not in offices.office("demo").handsets
    assert offices.handset_for_token("demo-leader") is not None  # the file's handsets stay
    await pairing.revoke("demo", waiting_id, "coordinator")
    with pytest.raises(UnknownCode):
        await pairing.pair(waiting)
    again = await pairing.revoke("demo", paired_id, "someone else")
    assert again.revoked_by == "coordinator"  # the first revocation stands
    with pytest.raises(UnknownHandset):
        await pairing.revoke("demo", "hs-lise", "admin")  # a file's handset is not paired
    statuses = {r.handset_id: r.status(T0) for r in await pairing.list("demo")}
    assert statuses == {paired_id: "revoked", waiting_id: "revoked"}


async def test_unknown_people_and_offices(pairing: Pairing) -> None:
    with pytest.raises(UnknownPerson):
        await pairing.create("demo", "nobody", "admin")
    with pytest.raises(NotFound):
        await pairing.create("nav-x", "lise", "admin")
    with pytest.raises(NotFound):
        await pairing.list("nav-x")


async def test_load_signs_in_the_active_handsets_after_a_restart(
    pairing: Pairing, store: FakeHandsetStore, clock: Clock
) -> None:
    _, code = await pairing.create("demo", "lise", "admin")
    token = await pairing.pair(code)
    revoked_id, other = await pairing.create("demo", "per", "admin")
    gone = await pairing.pair(other)
    await pairing.revoke("demo", revoked_id, "admin")
    await pairing.create("demo", "gro", "admin")  # never paired

    fresh = OfficeDirectory([load_office_text(DEMO)])
    assert await Pairing(store, fresh, clock.now).load() == 1
    assert fresh.handset_for_token(token) is not None
    assert fresh.handset_for_token(gone) is None


async def test_paired_handsets_survive_a_role_card_activation(
    pairing: Pairing, offices: OfficeDirectory
) -> None:
    versions = RoleCardVersions(FakeVersionStore(), offices, lambda: T0)
    await versions.start({"demo": DEMO})
    handset_id, code = await pairing.create("demo", "per", "admin")
    token = await pairing.pair(code)
    newer = DEMO.replace('version: "2026-11-01"', 'version: "2026-12-01"')
    result = await versions.upload("demo", newer, "admin")
    await versions.activate("demo", result.number, "admin")
    assert offices.office("demo").rolecard.version.endswith("2026-12-01")
    found = offices.handset_for_token(token)
    assert found is not None and found[1].id == handset_id
    assert found[0] is offices.office("demo") and handset_id in found[0].handsets

    # A card without the person leaves the handset out (it would have no one to sign in as),
    # and brings it back when the person is on the card again.
    without_per = newer.replace('version: "2026-12-01"', 'version: "2026-12-02"')
    without_per = without_per.replace('  - {id: per, name: "Per (vara)"}\n', "")
    without_per = without_per.replace("  - {id: hs-per, person: per, token: demo-deputy}\n", "")
    without_per = without_per.replace("deputies: [per]", "deputies: []")
    without_per = without_per.replace("holder: per, deputies: [lise]", "holder: lise")
    checked = await versions.check("demo", without_per)
    assert checked.activatable, [str(p) for p in checked.problems]
    later = await versions.upload("demo", without_per, "admin")
    await versions.activate("demo", later.number, "admin")
    assert offices.handset_for_token(token) is None
    await versions.activate("demo", result.number, "admin")
    assert offices.handset_for_token(token) is not None


async def test_the_directory_api_on_its_own(offices: OfficeDirectory) -> None:
    digest = token_digest("a-paired-token")
    assert offices.add_paired("demo", "ph-1", "kari", digest)
    assert offices.add_paired("demo", "ph-1", "kari", digest)  # idempotent
    assert offices.office("demo").handsets["ph-1"].person_id == "kari"
    assert offices.office_of_device("desk-1") is offices.office("demo")
    assert not offices.add_paired("demo", "hs-lise", "kari", token_digest("x"))  # a file's id
    assert not offices.add_paired("demo", "ph-2", "nobody", token_digest("y"))
    offices.remove_paired("demo", "ph-1")
    offices.remove_paired("demo", "ph-1")
    assert offices.handset_for_token("a-paired-token") is None
    assert "ph-1" not in offices.office("demo").handsets
    offices.remove_paired("demo", "hs-lise")
    offices.remove_paired("demo", "ph-2")
    assert offices.handset_for_token("demo-leader") is not None
