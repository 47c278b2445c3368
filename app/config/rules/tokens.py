"""Rules on bearer tokens: hashed outside demo files, never a published demo token, never shared."""

from __future__ import annotations

from collections.abc import Iterator

from app.config.rules.base import Finding, error, format_loc
from app.config.schema import Loc, OfficeFile, hash_token

DEMO_TOKEN_PREFIX = "demo-"


def _tokens(f: OfficeFile) -> Iterator[tuple[Loc, str | None, str | None]]:
    for i, h in enumerate(f.handsets):
        yield ("handsets", i), h.token, h.token_sha256
    for i, t in enumerate(f.api_tokens):
        yield ("api_tokens", i), t.token, t.token_sha256


def rule_token_form(f: OfficeFile) -> Iterator[Finding]:
    for loc, plain, hashed in _tokens(f):
        if (plain is None) == (hashed is None):
            yield error(loc, "give exactly one of `token_sha256` or `token` (demo files only)")
        if plain is not None and not f.demo:
            yield error(
                (*loc, "token"),
                "plaintext tokens are allowed only in demo files (demo: true); "
                "store `token_sha256` instead (printf %s 'TOKEN' | sha256sum)",
            )
        if plain is not None and not f.demo and plain.startswith(DEMO_TOKEN_PREFIX):
            yield error(
                (*loc, "token"),
                f"tokens starting with {DEMO_TOKEN_PREFIX!r} are published demo tokens: "
                "never use them outside a demo file",
            )


def rule_tokens_unique(f: OfficeFile) -> Iterator[Finding]:
    first: dict[str, Loc] = {}
    for loc, plain, hashed in _tokens(f):
        digest = hashed if plain is None else hash_token(plain)
        if digest is None:
            continue
        if digest in first:
            yield error(loc, f"same token as {format_loc(first[digest])}: each needs its own")
        first.setdefault(digest, loc)
