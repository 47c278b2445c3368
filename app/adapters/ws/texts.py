"""System texts the service writes itself, in one place: a code, its parameters, and the
Norwegian wording (the handset's default language).

Every frame that carries one of these has `text` (the wording), `text_code` and `text_params`,
so a handset can show the code in its own language. The wording is direct: it says what is
true and what to do, never "consider" (the validator refuses that wording in role cards, and
the service holds itself to the same rule).
"""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, str] = {
    "reminder.unfilled": (
        "Ingen har tatt rollen «{title}». Ta den selv eller gi den til en som er til stede nå. "
        "Eksterne kontakter varsles når fristen går ut."
    ),
    "reminder.police": (
        "Politikontakt («{title}») har ikke meldt at politiet er ringt. "
        "Ring 112 nå hvis ingen har gjort det."
    ),
    "presser.received": "Alarmen er mottatt. {instruction}",
    "presser.accepted": "Hjelp er på vei: {name} kommer.",
    "presser.arrived": "{name} er fremme.",
    "presser.resolved": "Alarmen er avsluttet.",
    "presser.cancelled": "Alarmen er avbrutt.",
    "police.not_called": "Politiet er IKKE varslet av Rollekort: ring 112.",
    "police.contacted": "Politiet er kontaktet ({name}, {at}).",
}


def text(code: str, **params: Any) -> dict[str, Any]:
    """`{text, text_code, text_params}` for a frame."""
    return {"text": TEXTS[code].format(**params), "text_code": code, "text_params": params}
