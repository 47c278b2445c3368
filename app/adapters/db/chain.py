"""Each alarm's timeline as a keyed hash chain, sealed at its head, and how to check one.

Why keyed: anyone who can write the database could recompute an unkeyed SHA-256 chain after an
edit. Each row's hash is HMAC-SHA256 under a key kept outside the database (docs/reliability.md),
so a recomputed chain no longer matches. Why sealed: a chain whose last rows were deleted (the
all-clear) is still a valid chain. The alarm row records the chain's length and head with a keyed
seal over both, so a shortened chain, or a length and head set back to match it, shows.

With no key (`key=None`: tests, the simulator) the same recipe runs with plain SHA-256, so the
published recipe can be checked by hand. Free text (`FREE_TEXT_FIELDS`) enters the hash as its
own sha256 digest, so the retention purge can blank it and keep the digest beside it in the row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.adapters.db import tables as t
from app.core import events as ev
from app.core.records import JsonValue, from_record, to_record
from app.service.ports import ChainCheck, StoredEvent

GENESIS_HASH = ""

# The free-text field of each event type that has one: what a person typed on the handset.
FREE_TEXT_FIELDS: dict[str, str] = {
    "HelpRequested": "text",
    "RoleDeclined": "reason",
    "AllClearGiven": "note",
}
DIGEST_SUFFIX = "_sha256"  # a redacted row keeps `<field>_sha256` beside the blanked field


def free_text_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def hashed_data(type_name: str, data: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """`data` as the chain hashes it: the free-text field as its digest (the stored one once the
    text is redacted; None stays None), without the stored digest key."""
    field = FREE_TEXT_FIELDS.get(type_name)
    if field is None:
        return data
    hashed = {k: v for k, v in data.items() if k != field + DIGEST_SUFFIX}
    text = data.get(field)
    hashed[field] = free_text_digest(text) if text is not None else data.get(field + DIGEST_SUFFIX)
    return hashed


def keyed_digest(key: bytes | None, message: str) -> str:
    """HMAC-SHA256 of `message` under `key`; plain SHA-256 when there is no key."""
    if key is None:
        return hashlib.sha256(message.encode()).hexdigest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def chain_hash(prev_hash: str, body: dict[str, JsonValue], key: bytes | None = None) -> str:
    """The digest (keyed_digest) of the previous hash followed by the canonical JSON of this
    row's content. `body` is `EventRow.content()`: free text already replaced by its digest."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return keyed_digest(key, prev_hash + canonical)


def seal_of(key: bytes | None, alarm_id: str, length: int, head: str) -> str:
    """The seal the alarm row keeps over its chain's length and last hash."""
    return keyed_digest(key, f"rollekort-seal|{alarm_id}|{length}|{head}")


@dataclass(frozen=True)
class EventRow:
    """One `alarm_event` row: an event as a record, with its place and link in the chain."""

    alarm_id: str
    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, JsonValue]
    prev_hash: str
    hash: str

    @classmethod
    def chained(
        cls, alarm_id: str, seq: int, event: ev.Event, prev_hash: str, key: bytes | None = None
    ) -> EventRow:
        type_name, data = to_record(event)
        at = t.as_utc(event.at)
        row = cls(alarm_id, seq, type_name, at, event.actor, data, prev_hash, hash="")
        return replace(row, hash=row.expected_hash(key))

    def content(self) -> dict[str, JsonValue]:
        """What the hash covers: the row with its free text as a digest (`hashed_data`)."""
        return self._content(hashed_data(self.type, self.data))

    def expected_hash(self, key: bytes | None = None) -> str:
        return chain_hash(self.prev_hash, self.content(), key)

    def hash_matches(self, key: bytes | None = None) -> bool:
        """The stored hash is this row's; rows written before free text was hashed as a digest
        (text still in place, never redacted) are checked by that older recipe."""
        if self.hash == self.expected_hash(key):
            return True
        field = FREE_TEXT_FIELDS.get(self.type)
        legacy = field is not None and field + DIGEST_SUFFIX not in self.data
        return legacy and self.hash == chain_hash(self.prev_hash, self._content(self.data), key)

    def redacted(self, key: bytes | None = None) -> EventRow | None:
        """This row with its free text blanked and its digest kept, or None when there is no text
        to blank or the row does not verify by the digest recipe (a legacy or altered row is left
        as it is, so a redaction never makes a row verify that did not)."""
        field = FREE_TEXT_FIELDS.get(self.type)
        if field is None or self.data.get(field) is None or self.hash != self.expected_hash(key):
            return None
        digest = free_text_digest(self.data[field])
        row = replace(self, data={**self.data, field: None, field + DIGEST_SUFFIX: digest})
        assert row.expected_hash(key) == self.hash
        return row

    def _content(self, data: dict[str, JsonValue]) -> dict[str, JsonValue]:
        return {
            "alarm_id": self.alarm_id,
            "seq": self.seq,
            "type": self.type,
            "at": t.as_utc(self.at).isoformat(),
            "actor": self.actor,
            "data": data,
        }

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def stored(self) -> StoredEvent:
        event = from_record(self.type, self.at, self.actor, self.data)
        return StoredEvent(self.alarm_id, self.seq, event, self.hash)


@dataclass(frozen=True)
class Seal:
    """What the alarm row records about its chain (all None on alarms from before migration
    0005, whose chains were neither keyed nor sealed)."""

    length: int | None
    head: str | None
    seal: str | None

    @classmethod
    def of(cls, key: bytes | None, alarm_id: str, rows: Sequence[EventRow]) -> Seal:
        head = rows[-1].hash if rows else GENESIS_HASH
        return cls(len(rows), head, seal_of(key, alarm_id, len(rows), head))

    @property
    def sealed(self) -> bool:
        return self.seal is not None


def chain_rows(
    alarm_id: str,
    events: Sequence[ev.Event],
    last_seq: int,
    last_hash: str,
    key: bytes | None = None,
) -> list[EventRow]:
    """The rows for `events`, numbered and chained after the alarm's last row."""
    rows: list[EventRow] = []
    for offset, event in enumerate(events, start=1):
        prev = rows[-1].hash if rows else last_hash
        rows.append(EventRow.chained(alarm_id, last_seq + offset, event, prev, key))
    return rows


def stored_as_given(rows: Sequence[EventRow], events: Sequence[ev.Event]) -> list[StoredEvent]:
    """What `append` returns: the events as the caller gave them, with their place and hash."""
    return [StoredEvent(r.alarm_id, r.seq, e, r.hash) for r, e in zip(rows, events, strict=True)]


def row_problem(rows: Sequence[EventRow], key: bytes | None) -> str | None:
    """The first row that is missing, out of place, unlinked or changed, in words; else None."""
    prev_hash = GENESIS_HASH
    for seq, row in enumerate(rows, start=1):
        if row.seq != seq:
            return f"row {seq} is missing (found row {row.seq} in its place)"
        if row.prev_hash != prev_hash:
            return f"row {seq} does not link to row {seq - 1} (rows removed or reordered)"
        if not row.hash_matches(key):
            return f"row {seq} does not match its hash (changed, or re-hashed without the key)"
        prev_hash = row.hash
    return None


def check_chain(
    alarm_id: str, rows: Sequence[EventRow], key: bytes | None, seal: Seal | None
) -> ChainCheck:
    """The whole verdict on one alarm's timeline: its rows, and its seal where it has one.

    An alarm without a seal (written before migration 0005, or with its seal wiped) can show
    edits and reorders by the unkeyed recipe but not a shortened or recomputed chain: it is
    `unsealed`, which is not `ok`."""
    if seal is None or not seal.sealed:
        problem = row_problem(rows, None)
        if problem is not None:
            return ChainCheck("broken", problem, len(rows))
        return ChainCheck(
            "unsealed", "no keyed seal: cannot show a shortened or recomputed chain", len(rows)
        )
    problem = row_problem(rows, key)
    if problem is not None:
        return ChainCheck("broken", problem, len(rows))
    return _seal_problem(alarm_id, rows, key, seal)


def _seal_problem(
    alarm_id: str, rows: Sequence[EventRow], key: bytes | None, seal: Seal
) -> ChainCheck:
    head = rows[-1].hash if rows else GENESIS_HASH
    state: Literal["ok", "broken"] = "broken"
    if seal.seal != seal_of(key, alarm_id, seal.length or 0, seal.head or ""):
        return ChainCheck(state, "the recorded length and head do not match their seal", len(rows))
    if seal.length != len(rows):
        lost = f"{seal.length} rows were recorded, {len(rows)} are left"
        return ChainCheck(state, f"{lost} (rows removed from the end)", len(rows))
    if seal.head != head:
        return ChainCheck(state, "the last row is not the one that was recorded", len(rows))
    return ChainCheck("ok", None, len(rows))
