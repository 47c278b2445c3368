"""From an alarm and the office's facts to the alert sent outside (guard company, agencies,
police): contact ids from the core become addressed contacts, and no handset free text goes out."""

from __future__ import annotations

from app.core.alarm import AlarmState
from app.core.office import Office
from app.service.notify import ContactRef, ExternalAlert

REASON = "no one in the office accepted the role in time"


def contact_ref(office: Office, contact_id: str) -> ContactRef:
    facts = office.facts
    kind, _, name = contact_id.partition(":")
    if kind == "agency":
        agency = next((a for a in facts.agencies if a.id == name), None)
        if agency is not None:
            return ContactRef(id=contact_id, name=agency.name, kind="agency", address=agency.phone)
    if kind == "guard_company" and facts.guard is not None:
        return ContactRef(
            id=contact_id, name=facts.guard.company, kind="guard_company", address=facts.guard.phone
        )
    if kind == "police" and facts.police is not None:
        return ContactRef(id=contact_id, name="Politi", kind="police", address=facts.police.phone)
    return ContactRef(id=contact_id, name=contact_id, kind=kind)


def alert_for(
    state: AlarmState, office: Office, role_id: str, contact_ids: tuple[str, ...]
) -> ExternalAlert:
    role = office.rolecard.role(role_id)
    location = office.locations[state.location_id]
    return ExternalAlert(
        alarm_id=state.alarm_id,
        office_id=office.id,
        office_name=office.name,
        role_id=role.id,
        role_title=role.title,
        level=state.level.value,
        mode=state.mode.value,
        location_name=location.name,
        zone=location.zone,
        raised_at=state.raised_at,
        contacts=tuple(contact_ref(office, c) for c in contact_ids),
        reason=REASON,
    )
