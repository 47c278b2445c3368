// Alarm frames → state: offers (`alarm`), notices (`alarm_notice`), updates (`alarm_update`) and
// closing. An offer that arrives again (a resume after a reconnect) is never a second card.

import { idOf, nameOf, str } from './dom.js';
import { state } from './hs-state.js';
import { acknowledge, sendAction } from './hs-conn.js';
import { newOffer } from './hs-alert.js';
import { codedText } from './hs-text.js';
import { renderAlarms, renderNotices } from './hs-view.js';

function ensureAlarm(id) {
  let alarm = state.alarms.get(id);
  if (!alarm) {
    alarm = {
      id,
      firstSeen: Date.now(),
      info: null,        // level, mode, raised_at, location, trigger, office_id
      noticeText: null,
      offers: new Map(), // role_id -> offer
      roles: null,       // from alarm_update
      state: null,
      lastEvent: null,
      closed: null,
      helpAt: null,
      allClearSent: 0,
    };
    state.alarms.set(id, alarm);
  }
  return alarm;
}

function alarmInfo(f) {
  return {
    level: str(f.level),
    mode: str(f.mode) || 'real',
    raised_at: str(f.raised_at),
    location: f.location && typeof f.location === 'object' ? f.location : {},
    trigger: f.trigger && typeof f.trigger === 'object' ? f.trigger : {},
    office_id: str(f.office_id),
    office_name: str(f.office_name),
    shared: f.shared === true, // another office's alarm, shown under its sharing policy
  };
}

let arrivals = 0;

function standingRole(roleId) {
  return state.standingRoles.find((r) => r && typeof r === 'object' && (r.role_id === roleId || r.id === roleId));
}

function newOfferRecord(o, steps) {
  return {
    role_id: o.role_id,
    title: str(o.title) || o.role_id,
    stance: str(o.stance),
    steps,
    leader: o.leader === true || standingRole(o.role_id)?.leader === true,
    accept_within_s: Number.isFinite(o.accept_within_s) ? o.accept_within_s : null,
    arrival: arrivals++,
    deadline: offerDeadline(o),
    status: 'offered',   // offered | accepted | declined | taken | closed
    confirmed: false,    // accepted according to an alarm_update
    pending: null,       // 'accept' | 'decline' sent, no answer yet
    pendingConn: 0,
    pendingAt: 0,
    holder: null,
    stepsDone: new Set(),
    stepsSent: new Set(),
  };
}

export function handleAlarm(f) {
  const alarmId = str(f.alarm_id);
  const o = f.offer && typeof f.offer === 'object' ? f.offer : null;
  if (!alarmId || !o || !str(o.role_id)) return;
  if (state.closedIds.has(alarmId)) return;
  const alarm = ensureAlarm(alarmId);
  alarm.info = alarmInfo(f);
  const roleId = o.role_id;
  const known = alarm.offers.get(roleId);
  const steps = (Array.isArray(o.steps) ? o.steps : [])
    .filter((s) => s && typeof s === 'object')
    .map((s, i) => ({ n: Number.isInteger(s.n) ? s.n : i + 1, text: str(s.text) }));
  if (!known) {
    alarm.offers.set(roleId, newOfferRecord(o, steps));
    newOffer(alarm);
    renderAlarms();
    return;
  }
  // The same offer again (resume after a reconnect): never a second card.
  known.title = str(o.title) || known.title;
  known.stance = str(o.stance) || known.stance;
  if (steps.length) known.steps = steps;
  known.leader = known.leader || o.leader === true;
  // The server re-offers only what it has no answer to. If our answer went out on a
  // connection that has since died, it may be lost: send it again.
  if (known.pending && known.pendingConn !== state.connNo
      && !state.outbox.some((q) => q.alarm_id === alarmId && q.role_id === roleId)) {
    known.pendingConn = sendAction({ type: known.pending, alarm_id: alarmId, role_id: roleId });
  } else if (!known.pending && known.status !== 'accepted' && known.status !== 'declining') {
    // Declined (and the server moved on), or taken by someone who let it go: the server
    // offers it to us again, e.g. in the "everyone present" stage. A fresh offer.
    known.status = 'offered';
    known.holder = null;
    known.deadline = offerDeadline(o);
    newOffer(alarm);
  } else if (known.status === 'offered' && 'due_at' in o) {
    known.deadline = offerDeadline(o); // a resend carries the real remaining time
  }
  renderAlarms();
}

/**
 * When the answer is due, as a local timestamp, or null for no countdown.
 * Not raised_at + accept_within_s: an escalated offer comes later than the alarm. The server's
 * `due_at` is right for a resent offer, but the handset's clock may disagree with the server's,
 * so it is clamped to [now, now + accept_within_s]; without it, receipt + accept_within_s.
 * `due_at: null` means no deadline (e.g. an unfilled role that may still be taken late).
 */
function offerDeadline(o) {
  const now = Date.now();
  const within = Number.isFinite(o.accept_within_s) ? o.accept_within_s * 1000 : null;
  if ('due_at' in o) {
    if (o.due_at === null) return null;
    const due = Date.parse(o.due_at);
    if (!Number.isNaN(due)) return within === null ? due : Math.min(Math.max(due, now), now + within);
  }
  return within === null ? null : now + within;
}

export function handleAlarmNotice(f) {
  const alarmId = str(f.alarm_id);
  if (!alarmId || state.closedIds.has(alarmId)) return;
  const alarm = ensureAlarm(alarmId);
  alarm.info = alarmInfo(f);
  if (str(f.code) || str(f.text)) alarm.noticeText = codedText(f);
  if (f.assemble && typeof f.assemble === 'object') alarm.assemble = f.assemble;
  renderAlarms();
}

/** true: the role's holder is this person; false: someone else; null: nobody or unknown. */
export function holderIsMe(role) {
  const holderId = str(role.holder_id) || idOf(role.holder);
  if (holderId && state.me.personId) return holderId === state.me.personId;
  const holderName = nameOf(role.holder);
  if (!holderId && !holderName) return null;
  if (holderName && state.me.name) return holderName === state.me.name;
  return null;
}

function heldOffer(role) {
  // We hold a role we have no offer for (e.g. the page was reloaded): show what we know.
  const offer = newOfferRecord({ role_id: role.role_id, title: role.title, leader: role.leader }, []);
  offer.deadline = null;
  offer.status = 'accepted';
  offer.confirmed = true;
  return offer;
}

function applyRole(alarm, role) {
  const mine = holderIsMe(role);
  let offer = alarm.offers.get(role.role_id);
  if (!offer && mine === true) {
    offer = heldOffer(role);
    alarm.offers.set(role.role_id, offer);
  }
  if (!offer) return;
  if (role.leader === true) offer.leader = true;
  if (mine === true) {
    offer.status = 'accepted';
    offer.confirmed = true;
    offer.pending = null;
  } else if (mine === false) {
    offer.holder = nameOf(role.holder) || str(role.holder_id);
    if (offer.status !== 'declined') offer.status = 'taken';
    offer.confirmed = false;
    offer.pending = null;
  } else if (offer.pending === 'decline' && role.state !== 'accepted') {
    offer.pending = null; // the role moved on to someone else: our decline got through
  }
  if (Array.isArray(role.steps_done)) {
    offer.stepsDone = new Set(role.steps_done.filter(Number.isInteger));
    for (const n of offer.stepsDone) offer.stepsSent.delete(n);
  }
}

export function handleUpdate(f) {
  const alarmId = str(f.alarm_id);
  if (!alarmId || state.closedIds.has(alarmId)) return;
  acknowledge(`alarm:${alarmId}`);
  const alarm = ensureAlarm(alarmId);
  alarm.state = str(f.state) || alarm.state;
  alarm.lastEvent = f.last_event ?? alarm.lastEvent;
  if ('police_contacted_by' in f) alarm.policeContactedBy = str(f.police_contacted_by);
  if (alarm.info && str(f.level)) alarm.info.level = f.level;
  if (f.lockdown === true && !state.lockdown) {
    state.lockdown = { kind: 'lockdown', code: '', text: '', alarmId, at: Date.now() };
    renderNotices();
  } else if (f.lockdown === false && state.lockdown && state.lockdown.alarmId === alarmId) {
    state.lockdown = null; // lifted while we were away: the snapshot after a reconnect says so
    renderNotices();
  }
  if (Array.isArray(f.roles)) {
    alarm.roles = f.roles.filter((r) => r && typeof r === 'object' && str(r.role_id));
    for (const role of alarm.roles) applyRole(alarm, role);
  }
  renderAlarms();
}

export function closeAlarm(alarm, outcome, closedAt) {
  alarm.closed = { outcome: outcome || 'unknown', at: closedAt, seenAt: Date.now() };
  for (const offer of alarm.offers.values()) {
    clearTimeout(offer.undoTimer);
    if (offer.status === 'offered' || offer.status === 'declining') offer.status = 'closed';
    offer.pending = null;
  }
  state.closedIds.add(alarm.id);
  state.outbox = state.outbox.filter((q) => q.alarm_id !== alarm.id);
  state.inflight = state.inflight.filter((x) => x.frame.alarm_id !== alarm.id);
}
