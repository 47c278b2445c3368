// Server → handset frames (protocol v1, section 3, with the extensions in docs/protocol.md).
// Relied on beyond v1, all optional (the page works without them):
//   welcome.person_id, .office_name, .open_alarms; alarm.offer.leader, .due_at;
//   alarm_update.roles[].holder_id, .steps_done, .leader; alarm_update.level, .lockdown;
//   alarm_update.last_event as {type, at, actor}; close code 4409 (replaced, no auto reconnect).
// Proposed and read when present: welcome.worn_triggers [{device_id, battery, online}],
//   welcome.sound_in_public (bool), and a `device_status` frame {device_id, battery, online}.
// Unknown fields and frame types are ignored.

import { idOf, nameOf, str } from './dom.js';
import { codedText } from './hs-text.js';
import { MAX_NOTICES, QUICK_RETRIES, state } from './hs-state.js';
import { acknowledge, flushOutbox, sendNow } from './hs-conn.js';
import { afterWelcome } from './hs-push.js';
import {
  closeAlarm, handleAlarm, handleAlarmNotice, handleUpdate,
} from './hs-alarm.js';
import {
  renderAlarms, renderNotices, renderWelcome, setPhase, showError,
} from './hs-view.js';
import { handlePlaces, handlePresser } from './hs-place.js';

export function handleFrame(f) {
  if (typeof f.event_seq === 'number' && Number.isFinite(f.event_seq)) {
    state.lastSeq = state.lastSeq === null ? f.event_seq : Math.max(state.lastSeq, f.event_seq);
  }
  switch (f.type) {
    case 'welcome': return handleWelcome(f);
    case 'alarm': return handleOffer(f);
    case 'alarm_notice': return handleAlarmNotice(f);
    case 'alarm_update': return handleUpdate(f);
    case 'alarm_closed': return handleClosed(f);
    case 'notice': return handleNotice(f);
    case 'device_status': return handleDeviceStatus(f);
    case 'acknowledged': return handleAcknowledged(f);
    case 'duty': return handleDuty(f);
    case 'places': return handlePlaces(f);
    case 'standing_roles': return handleStandingRoles(f);
    case 'presser': return handlePresser(f);
    case 'error': return handleError(f);
    case 'ping': return handlePing(f);
    default: return undefined; // unknown frames are ignored
  }
}

// [ext] Every offer shown is confirmed (`received`), so the service knows it reached this phone
// (the hello said `receipts: true`); an offer nobody confirms is moved on to the next person.
function handleOffer(f) {
  const role = f.offer && typeof f.offer === 'object' ? str(f.offer.role_id) : '';
  const result = handleAlarm(f);
  if (str(f.alarm_id) && role) sendNow({ type: 'received', alarm_id: f.alarm_id, role_id: role });
  return result;
}

function handleWelcome(f) {
  afterWelcome();
  state.welcomedAt = Date.now();
  state.quickLeft = QUICK_RETRIES;
  state.authRejected = false;
  state.me = {
    personId: str(f.person_id) || idOf(f.person) || null,
    name: nameOf(f.person) || null,
    officeId: str(f.office_id) || null,
    officeName: str(f.office_name) || nameOf(f.office) || null,
  };
  state.standingRoles = Array.isArray(f.standing_roles) ? f.standing_roles : [];
  state.soundInPublic = f.sound_in_public === true;
  state.duty = true; // a new connection starts on duty
  if ('acknowledged' in f) {
    state.ack = {
      version: str(f.rolecard_version), acknowledged: f.acknowledged === true, policy: str(f.intervention_policy),
    };
  }
  if (Array.isArray(f.worn_triggers)) {
    state.triggers.clear();
    for (const d of f.worn_triggers) if (d && str(d.device_id)) state.triggers.set(d.device_id, d);
  }
  // The server lists the alarms still open; any other we show is over.
  if (Array.isArray(f.open_alarms)) {
    const open = new Set(f.open_alarms.map(String));
    for (const alarm of state.alarms.values()) {
      if (!alarm.closed && !open.has(alarm.id)) closeAlarm(alarm, 'unknown', null);
    }
  }
  handlePlaces(f);
  flushOutbox();
  // Off duty is a choice made on this page: a reconnect (which starts on duty) keeps it.
  if (!state.dutyWanted) sendNow({ type: 'duty', on: false });
  setPhase('connected');
  renderWelcome();
  renderAlarms();
}

function handleStandingRoles(f) {
  if (!Array.isArray(f.standing_roles)) return;
  state.standingRoles = f.standing_roles;
  // a new card is in force: it has to be read (acknowledged) again
  if (state.ack && str(f.rolecard_version) && f.rolecard_version !== state.ack.version) {
    state.ack = { ...state.ack, version: str(f.rolecard_version), acknowledged: false };
  }
  renderWelcome();
}

function handleAcknowledged(f) {
  state.ack = { ...(state.ack || { policy: '' }), version: str(f.rolecard_version) || state.ack?.version || '', acknowledged: true };
  renderWelcome();
}

function handleDuty(f) {
  state.duty = f.on === true;
  renderWelcome();
}

function handleDeviceStatus(f) {
  const id = str(f.device_id);
  if (!id || !state.triggers.has(id)) return;
  state.triggers.set(id, { ...state.triggers.get(id), ...f });
  renderWelcome();
}


function handleClosed(f) {
  const alarmId = str(f.alarm_id);
  if (!alarmId) return;
  state.inflight = state.inflight.filter((x) => x.frame.alarm_id !== alarmId);
  const alarm = state.alarms.get(alarmId);
  if (!alarm) {
    state.closedIds.add(alarmId);
    return;
  }
  if (alarm.closed && alarm.closed.outcome !== 'unknown') return;
  closeAlarm(alarm, str(f.outcome), str(f.closed_at));
  renderAlarms();
}

function handleNotice(f) {
  const kind = str(f.kind) || 'info';
  // a visit or a neighbour's drill is said again on every reconnect: listed once
  const again = kind === 'visit' || kind === 'drill_announced';
  const key = again ? `${kind}:${str(f.alarm_id) || str(f.office_id)}:${str(f.until)}`
    : typeof f.event_seq === 'number' ? `seq:${f.event_seq}` : `${kind}:${str(f.text)}:${str(f.alarm_id)}`;
  if (state.noticeKeys.has(key)) return;
  state.noticeKeys.add(key);
  const notice = { kind, ...codedText(f), alarmId: str(f.alarm_id), at: Date.now() };
  if (kind === 'visit' && notice.alarmId) { // where the outreach worker is: shown on the alarm's card
    state.visits.set(notice.alarmId, { where: str(f.where), worker: str(f.worker) });
    renderAlarms();
  }
  if (kind === 'lockdown' || kind === 'lockdown_lifted') {
    acknowledge('lockdown');
    // The server repeats an active lockdown after every reconnect: list it only when it changes.
    const changes = kind === 'lockdown' ? !state.lockdown || !state.lockdown.announced : !!state.lockdown;
    notice.announced = true;
    state.lockdown = kind === 'lockdown' ? notice : null;
    if (!changes) {
      renderNotices();
      return;
    }
  }
  state.notices.unshift(notice);
  state.notices.length = Math.min(state.notices.length, MAX_NOTICES);
  renderNotices();
  renderAlarms(); // the leader's lockdown button follows the lockdown state
}

function handleError(f) {
  const code = str(f.code) || (typeof f.code === 'number' ? String(f.code) : '');
  showError(code);
  // An optimistic answer that the server refused goes back to where it was.
  const ref = str(f.ref);
  const now = Date.now();
  for (const alarm of state.alarms.values()) {
    for (const offer of alarm.offers.values()) {
      const matches = ref
        ? ref === alarm.id || ref === offer.role_id || ref === `${alarm.id}/${offer.role_id}`
        : now - offer.pendingAt < 15000;
      if (!matches) continue;
      if (offer.pending) {
        offer.pending = null;
        if (!offer.confirmed && !alarm.closed && offer.status !== 'taken') offer.status = 'offered';
      }
      offer.stepsSent.clear();
    }
    if (ref === alarm.id) alarm.allClearSent = 0;
  }
  renderAlarms();
}

function handlePing(f) {
  const now = Date.now();
  if (state.lastPingAt) state.pingGapMs = now - state.lastPingAt;
  state.lastPingAt = now;
  sendNow({ type: 'pong', nonce: f.nonce });
}
