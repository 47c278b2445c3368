"""Server texts for handsets as codes with parameters (docs/protocol.md, "Texts as codes").

A handset renders a code in its own language from the tables in `app/web/static/texts-<lang>.json`
(one file per language, shared with the page). Each coded frame also carries `text`, rendered
here from the English table, for clients that do not know the code (protocol v1's `text`).
Adding a text: add the code to every `texts-*.json`; a unit test checks that they agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("nb", "en")
_FIELD = re.compile(r"\{(\w+)\}")
Params = Mapping[str, str | int]


@cache
def table(lang: str) -> dict[str, str]:
    """The code → template table of one language, as the handset page loads it."""
    path = resources.files("app.web") / "static" / f"texts-{lang}.json"
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def render(code: str, params: Params, lang: str = "en") -> str:
    """The template for `code` filled from `params`; an unknown field stays as `{name}`."""
    template = table(lang).get(code, code)
    return _FIELD.sub(lambda m: str(params.get(m.group(1), m.group(0))), template)


def coded(code: str, params: Params | None = None) -> dict[str, Any]:
    """The frame fields of a coded text: `code`, `params` and the English `text`."""
    values = dict(params or {})
    return {"code": code, "params": values, "text": render(code, values)}
