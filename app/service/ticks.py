"""The commands the clock and outside reports bring to an alarm, as the dispatcher's methods
(`app.service.effects.AlarmTicks`); each goes through the dispatcher's `_tick`."""

from __future__ import annotations

from app.core import commands as cmd
from app.service.notify import DeliveryReport


class AlarmTimers:
    async def _tick(self, office_id: str, alarm_id: str, command: cmd.Command) -> None:
        raise NotImplementedError

    async def expire(self, office_id: str, alarm_id: str, role_id: str, offer_no: int) -> None:
        await self._tick(office_id, alarm_id, cmd.ExpireOffer(role_id=role_id, offer_no=offer_no))

    async def remind(self, office_id: str, alarm_id: str, role_id: str) -> None:
        await self._tick(office_id, alarm_id, cmd.RemindLeader(role_id=role_id))

    async def delivered(
        self, office_id: str, alarm_id: str, role_id: str, report: DeliveryReport
    ) -> None:
        failed = tuple(contact for contact, _reason in report.failed)
        command = cmd.RecordDelivery(role_id=role_id, delivered=report.delivered, failed=failed)
        await self._tick(office_id, alarm_id, command)

    async def offer_confirmed(
        self, office_id: str, alarm_id: str, role_id: str, person_id: str, channel: str
    ) -> None:
        """A phone showed the offer (app.service.delivery): recorded on the timeline."""
        command = cmd.ConfirmOffer(person_id=person_id, role_id=role_id, channel=channel)
        await self._tick(office_id, alarm_id, command)

    async def offer_missed(
        self, office_id: str, alarm_id: str, role_id: str, person_id: str
    ) -> None:
        """No phone showed the offer in time: the role moves on without waiting for them."""
        await self._tick(office_id, alarm_id, cmd.MissOffer(person_id=person_id, role_id=role_id))
