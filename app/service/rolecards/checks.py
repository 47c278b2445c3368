"""Checks on an uploaded office file beyond the validator: one office's coordinator must not be
able to take another office's buttons, handsets or API tokens by uploading a file.

The validator (app.config) sees one file; these rules also look at the offices this service
runs (the OfficeDirectory). They add problems with line and column like the validator's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

from app.config.loader import LoadedOffice, OfficeFileError, Problem, Severity, load_office_text
from app.config.problems import sorted_problems
from app.config.spec_base import Loc
from app.config.yamlpos import Tree
from app.service.offices import OfficeDirectory

SOURCE = "<upload>"


@dataclass(frozen=True)
class Checked:
    """What the checks say about a file: its card's name, every problem, the office if it loads."""

    label: str
    problems: list[Problem]
    loaded: LoadedOffice | None
    wrong_office: Problem | None = None  # the file names another office (also in `problems`)

    @property
    def counts(self) -> tuple[int, int]:
        errors = sum(p.severity is Severity.ERROR for p in self.problems)
        return errors, len(self.problems) - errors

    @property
    def activatable(self) -> bool:
        return self.loaded is not None and self.counts[0] == 0


@dataclass(frozen=True)
class _Parsed:
    tree: Tree
    data: object
    loaded: LoadedOffice | None
    problems: list[Problem]


async def check_upload(
    office_id: str, content: str, offices: OfficeDirectory, current: LoadedOffice | None
) -> Checked:
    """Validate `content` as a new version of `office_id` (`current`: its active version).

    The validator runs in a worker thread so a large file does not hold up dispatch; the
    directory is read here, on the event loop, where it cannot change under us.
    """
    parsed = await asyncio.to_thread(_parse, content)
    extra: list[Problem] = []
    if parsed.loaded is not None:
        extra = list(_foreign(office_id, parsed.loaded, parsed.tree, offices, current))
    wrong = _wrong_office(office_id, parsed)
    if wrong is not None:
        extra.append(wrong)
    label = _text_at(parsed.data, "rolecard", "version") or ""
    return Checked(label, sorted_problems([*parsed.problems, *extra]), parsed.loaded, wrong)


def _parse(content: str) -> _Parsed:
    tree = Tree(SOURCE)
    try:
        data = tree.parse(content)
    except OfficeFileError:
        data = None
    try:
        loaded = load_office_text(content, SOURCE)
    except OfficeFileError as err:
        return _Parsed(tree, data, None, list(err.problems))
    return _Parsed(tree, data, loaded, list(loaded.warnings))


def _text_at(data: object, *path: str) -> str | None:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) else None


def _wrong_office(office_id: str, parsed: _Parsed) -> Problem | None:
    named = _text_at(parsed.data, "office", "id")
    if named is None or named == office_id:
        return None
    message = f"this file is for office {named!r}, not {office_id!r}"
    return parsed.tree.problem(Severity.ERROR, ("office", "id"), message)


def _foreign(
    office_id: str,
    loaded: LoadedOffice,
    tree: Tree,
    offices: OfficeDirectory,
    current: LoadedOffice | None,
) -> Iterator[Problem]:
    def problem(loc: Loc, message: str) -> Problem:
        return tree.problem(Severity.ERROR, loc, message)

    office = loaded.office
    for i, device_id in enumerate(office.triggers):
        owner = offices.office_of_device(device_id)
        if owner is not None and owner.id != office_id:
            message = f"device {device_id!r} belongs to office {owner.id!r}: it can have one only"
            yield problem(("devices", i, "id"), message)
    handset_index = {handset_id: i for i, handset_id in enumerate(office.handsets)}
    for digest, handset_id in loaded.handset_tokens.items():
        owner_id = offices.office_of_handset_digest(digest)
        if owner_id is not None and owner_id != office_id:
            message = f"this token signs in to a handset of office {owner_id!r}: give a new one"
            yield problem(("handsets", handset_index[handset_id]), message)
    for i, share in enumerate(office.facts.sharing):  # sharing is mutual (OfficeDirectory)
        if office_id not in offices.shares_with(share.office_id):
            message = (
                f"office {share.office_id!r} does not share with {office_id!r}: this has no "
                "effect until its file shares back (sharing must be mutual)"
            )
            yield tree.problem(Severity.WARNING, ("sharing", i), message)
    ours = set() if current is None else {t.token_sha256 for t in current.api_tokens}
    for i, token in enumerate(loaded.api_tokens):  # the validator keeps them to this office
        if token.token_sha256 not in ours and offices.principal_for_digest(token.token_sha256):
            yield problem(
                ("api_tokens", i), "another office already uses this token: give a new one"
            )
