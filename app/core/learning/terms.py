"""The closed vocabularies of drills, debriefs, incidents and outreach, shared by API and store."""

from __future__ import annotations

from enum import StrEnum


class Realism(StrEnum):
    """How hard a drill is played: soft drills avoid re-traumatising staff (the Grorud lesson)."""

    SOFT = "soft"
    STANDARD = "standard"
    FULL_SCALE = "full_scale"


class DebriefStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Support(StrEnum):
    """What after-care was offered: never how the person is, only what they were offered."""

    COLLEAGUE_TALK = "colleague_talk"
    LEADER_TALK = "leader_talk"
    OCCUPATIONAL_HEALTH = "occupational_health"
    PSYCHOLOGIST = "psychologist"
    CRISIS_TEAM = "crisis_team"
    OTHER = "other"


class ReferenceKind(StrEnum):
    """A report filed elsewhere; Rollekort keeps only its reference, it is not that system."""

    DEVIATION = "deviation"
    POLICE = "police"


class ReportingLine(StrEnum):
    """NAV offices have state and municipal staff, who report through different systems."""

    STATE = "state"
    MUNICIPAL = "municipal"


class IncidentKind(StrEnum):
    VERBAL_ABUSE = "verbal_abuse"
    THREAT_PHONE = "threat_phone"
    THREAT_IN_PERSON = "threat_in_person"
    OTHER = "other"


class SessionStatus(StrEnum):
    ACTIVE = "active"
    CHECKED_OUT = "checked_out"
    ALARMED = "alarmed"


class AlarmReason(StrEnum):
    OVERDUE = "overdue"
    PANIC = "panic"
