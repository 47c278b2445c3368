// The handset page's state: one plain object that the connection, the frame handlers and the
// view share. Nothing here touches the DOM or the network.

export const TOKEN_KEY = 'rollekort.handset.token';
export const SOUND_KEY = 'rollekort.handset.sound';
// Reconnecting (hs-conn.js scheduleReconnect; bench/failover_handset.py reads these numbers):
// the first retry after a connection that had been up for STABLE_MS, and a retry after a
// standby's 1013 "not leading", go after QUICK_MIN_MS..QUICK_MAX_MS (spread, so that 20,000
// phones do not arrive in the same millisecond); each later one backs off: BACKOFF_MIN_MS
// doubling to BACKOFF_MAX_MS, with equal jitter.
export const QUICK_MIN_MS = 50;
export const QUICK_MAX_MS = 250;
export const QUICK_RETRIES = 3;          // quick retries after a 1013 "not leading", per welcome
export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 30000;
export const STABLE_MS = 10000;          // a connection that lived this long resets the backoff
export const WATCHDOG_MIN_MS = 35000;    // no frame at all for this long: the socket is dead
export const CONNECT_TIMEOUT_MS = 15000; // opening plus hello/welcome must take less than this
export const CONFIRM_MS = 5000;          // a two-tap confirmation stays armed this long
export const UNDO_MS = 5000;             // a decline is sent this long after the tap, unless undone
export const ERROR_SHOW_MS = 6000;
export const MAX_NOTICES = 20;
export const LOW_BATTERY = 20;
export const CLOSE_UNAUTHORISED = 4401;
export const CLOSE_REPLACED = 4409;
export const CLOSE_NOT_LEADING = 1013;  // a standby, or an overloaded leader (the reason tells)

export const state = {
  token: null,
  ws: null,
  connNo: 0,            // increases for every socket; frames of an old socket are ignored
  phase: 'idle',        // idle | connecting | connected | reconnecting | replaced | no-token
  authRejected: false,
  attempt: 0,
  quickLeft: 0,         // quick retries left for 1013 "not leading" closes
  retryAt: 0,
  retryTimer: null,
  openedAt: 0,
  welcomedAt: 0,
  lastFrameAt: 0,
  lastPingAt: 0,
  pingGapMs: 0,
  lastSeq: null,        // highest event_seq seen on this page; sent as hello.resume
  me: { personId: null, name: null, officeId: null, officeName: null },
  standingRoles: [],
  triggers: new Map(),  // device_id -> {device_id, battery, online} of my worn trigger(s)
  soundInPublic: false, // the office allows sound for alarms in public zones
  myZone: null,         // the zone of the desk or room this person is checked in at (req. 40)
  duty: true,           // on duty according to the server (a new connection starts on duty)
  dutyWanted: true,     // what the person chose on this page; sent again after a reconnect
  ack: null,            // {version, acknowledged, policy} of the active role card, if sent
  alarms: new Map(),    // alarm_id -> alarm
  visits: new Map(),    // alarm_id -> {where, worker}: an outreach alarm's planned place (req. 36)
  closedIds: new Set(), // alarms that are over: later frames about them are ignored
  notices: [],
  noticeKeys: new Set(),
  lockdown: null,       // the current lockdown notice, or null
  outbox: [],           // action frames waiting for a connection
  inflight: [],         // {frame, connNo}: sent, and no later frame shows the server got it
  armed: new Map(),     // "alarm|action" -> time a two-tap confirmation was armed
  closedKeepMs: 120000, // a closed alarm's card clears itself this long after it closed
};

export function resetSession() {
  state.lastSeq = null;
  state.me = { personId: null, name: null, officeId: null, officeName: null };
  state.standingRoles = [];
  state.triggers.clear();
  state.soundInPublic = false;
  state.myZone = null;
  state.duty = true;
  state.dutyWanted = true;
  state.ack = null;
  state.alarms.clear();
  state.visits.clear();
  state.closedIds.clear();
  state.notices = [];
  state.noticeKeys.clear();
  state.lockdown = null;
  state.outbox = [];
  state.inflight = [];
  state.armed.clear();
  state.authRejected = false;
}

export function isQueued(pred) {
  return state.outbox.some(pred);
}

export function isArmed(key) {
  const at = state.armed.get(key);
  return at !== undefined && Date.now() - at < CONFIRM_MS;
}

/**
 * The status to show. One role per person per alarm: once this person holds (or has just
 * accepted) a role, the server withdraws their other offers in that alarm, and the protocol has
 * no frame for that, so they are shown as withdrawn (and come back if the accept is refused).
 */
export function shownStatus(alarm, offer) {
  if (offer.status !== 'offered') return offer.status;
  for (const other of alarm.offers.values()) {
    if (other !== offer && other.status === 'accepted') return 'withdrawn';
  }
  return 'offered';
}

/**
 * The order a person should answer in: waiting offers first, the one due soonest on top (no
 * deadline last), then the card's role order; answered ones after them, in role order.
 */
export function offerOrder(alarm) {
  const roleIndex = new Map((alarm.roles || []).map((r, i) => [r.role_id, i]));
  const rank = (o) => (roleIndex.has(o.role_id) ? roleIndex.get(o.role_id) : 1000 + o.arrival);
  const due = (o) => (o.deadline === null ? Infinity : o.deadline);
  const waiting = (o) => (shownStatus(alarm, o) === 'offered' ? 0 : 1);
  return [...alarm.offers.values()].sort((a, b) => waiting(a) - waiting(b)
    || (waiting(a) === 0 ? due(a) - due(b) : 0) || rank(a) - rank(b));
}

/** The soonest deadline of an alarm's waiting offers (Infinity for none). */
export function soonestDue(alarm) {
  return Math.min(...waitingOffers(alarm).map((o) => (o.deadline === null ? Infinity : o.deadline)), Infinity);
}

export function waitingOffers(alarm) {
  return [...alarm.offers.values()].filter((o) => shownStatus(alarm, o) === 'offered');
}

/** Alarms that need the screen awake: open ones where this person is offered or holds a role. */
export function activeAlarms() {
  return [...state.alarms.values()].filter((a) => !a.closed && a.offers.size > 0);
}
