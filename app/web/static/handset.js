// Rollekort handset page: a plain client of protocol v1, section 3 (websocket, handsets).
// An ES module with no build step and no dependencies. The installable app is a later issue.
//
// What it relies on beyond the protocol document (all optional; the page works without them):
//   welcome.person_id, welcome.office_name, welcome.open_alarms  (see handleWelcome)
//   alarm.offer.leader, alarm.offer.due_at                       (see handleAlarm, offerDeadline)
//   alarm_update.roles[].holder_id, .steps_done, .leader; alarm_update.level, .lockdown
//   alarm_update.last_event as {type, at, actor}
//   close code 4409: this handset connected elsewhere (no automatic reconnect, it would fight)
// Unknown fields and frame types are ignored.

const TOKEN_KEY = 'rollekort.handset.token';
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const STABLE_MS = 10000;          // a connection that lived this long resets the backoff
const WATCHDOG_MIN_MS = 35000;    // no frame at all for this long: the socket is dead
const CONNECT_TIMEOUT_MS = 15000; // opening plus hello/welcome must take less than this
const CONFIRM_MS = 5000;          // a two-tap confirmation stays armed this long
const ERROR_SHOW_MS = 6000;
const MAX_NOTICES = 20;
const CLOSE_UNAUTHORISED = 4401;
const CLOSE_REPLACED = 4409;

const LEVELS = {
  assist: ['Bistand', 'assist'],
  acute: ['AKUTT', 'acute'],
};
const MODES = {
  real: ['ALARM', 'real'],
  drill: ['ØVELSE – ikke reell alarm', 'DRILL'],
  test: ['TEST – ikke reell alarm', 'TEST'],
};
const TRIGGER_KINDS = {
  fixed: ['Fastmontert alarm', 'fixed'],
  worn: ['Utløser på kroppen', 'worn'],
};
const STANCES = {
  approach: ['Gå inn i situasjonen', 'approach'],
  assess_from_door: ['Vurder fra døren – ikke gå inn', 'assess from the door'],
  assemble_at: ['Møt opp på samlingspunktet', 'assemble'],
  withdraw_to: ['Trekk deg unna til trygg sone', 'withdraw'],
  stay_and_guard: ['Bli og vokt', 'stay and guard'],
  protect_bystanders: ['Beskytt andre som er til stede', 'protect bystanders'],
  external_contact: ['Kontakt eksterne (politi, vekter)', 'external contact'],
};
const ROLE_STATES = {
  waiting: ['venter', 'waiting'],
  offered: ['tilbudt', 'offered'],
  accepted: ['tatt', 'accepted'],
  unfilled: ['IKKE BESATT', 'unfilled'],
};
const ALARM_STATES = {
  open: ['pågår', 'open'],
  resolved: ['løst', 'resolved'],
  cancelled: ['avlyst', 'cancelled'],
};
const OUTCOMES = {
  resolved: ['løst', 'resolved'],
  cancelled: ['avlyst', 'cancelled'],
  unknown: ['avsluttet', 'closed'],
};
const EVENTS = {
  AlarmRaised: 'alarm utløst',
  PressRepeated: 'knappen trykket igjen',
  LevelRaised: 'nivået er hevet',
  RoleOffered: 'rolle tilbudt',
  RoleAccepted: 'rolle tatt',
  RoleDeclined: 'rolle avslått',
  OfferTimedOut: 'tilbud ikke besvart i tide',
  OfferWithdrawn: 'tilbud trukket',
  RoleUnfilled: 'rolle IKKE BESATT',
  StepCompleted: 'steg utført',
  HelpRequested: 'HJELP BEDT OM',
  CancelRefused: 'avbryting avvist (for sent)',
  AllClearGiven: 'alt klart gitt',
  AlarmCancelled: 'alarmen avbrutt',
  LockdownChanged: 'innelåsing endret',
};
const NOTICE_KINDS = {
  lockdown: ['INNELÅSING', 'lockdown'],
  lockdown_lifted: ['Innelåsing opphevet', 'lockdown lifted'],
  coverage: ['Dekning', 'coverage'],
  reminder: ['Påminnelse', 'reminder'],
  info: ['Info', 'info'],
};

// ---------------------------------------------------------------- state

const state = {
  token: null,
  ws: null,
  connNo: 0,            // increases for every socket; frames of an old socket are ignored
  phase: 'idle',        // idle | connecting | connected | reconnecting | replaced | no-token
  authRejected: false,
  attempt: 0,
  retryAt: 0,
  retryTimer: null,
  openedAt: 0,
  welcomedAt: 0,
  lastFrameAt: 0,
  lastPingAt: 0,
  pingGapMs: 0,
  lastSeq: null,        // highest event_seq seen on this page; sent as hello.resume
  me: { personId: null, name: null, officeId: null },
  standingRoles: [],
  alarms: new Map(),    // alarm_id -> alarm
  closedIds: new Set(), // alarms that are over: later frames about them are ignored
  notices: [],
  noticeKeys: new Set(),
  lockdown: null,       // the current lockdown notice, or null
  outbox: [],           // action frames waiting for a connection
  inflight: [],         // {frame, connNo}: sent, and no later frame shows the server got it
  armed: new Map(),     // "alarm|action" -> time a two-tap confirmation was armed
};

// ---------------------------------------------------------------- small helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** "Norwegian label" plus the English word in small text and a title. */
function label(table, key, fallback) {
  const entry = table[key];
  if (!entry) return h('span', { text: String(key ?? fallback ?? '') });
  return h('span', { title: entry[1] }, entry[0], ' ', h('span', { class: 'small', lang: 'en', text: `(${entry[1]})` }));
}

function str(v) {
  return typeof v === 'string' ? v : '';
}

/** A person or holder may arrive as a string or as {id, name}. */
function nameOf(v) {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') return str(v.name) || str(v.id);
  return '';
}

function idOf(v) {
  return v && typeof v === 'object' ? str(v.id) : '';
}

function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleTimeString('nb-NO', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function fmtClock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function $(testid, root = document) {
  return root.querySelector(`[data-testid="${testid}"]`);
}

// ---------------------------------------------------------------- token

function readToken() {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    saveToken(fromUrl);
    // Keep the token out of the history, bookmarks and screenshots of the address bar.
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function saveToken(token) {
  try {
    window.localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // private mode: the token lives for this page only
  }
}

function clearToken() {
  try {
    window.localStorage.removeItem(TOKEN_KEY);
  } catch {
    // ignore
  }
}

function resetSession() {
  state.lastSeq = null;
  state.me = { personId: null, name: null, officeId: null };
  state.standingRoles = [];
  state.alarms.clear();
  state.closedIds.clear();
  state.notices = [];
  state.noticeKeys.clear();
  state.lockdown = null;
  state.outbox = [];
  state.inflight = [];
  state.armed.clear();
  state.authRejected = false;
}

// ---------------------------------------------------------------- connection

function wsUrl() {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/ws/handset`;
}

function connect() {
  clearTimeout(state.retryTimer);
  state.retryTimer = null;
  if (!state.token) {
    setPhase('no-token');
    return;
  }
  const connNo = ++state.connNo;
  let ws;
  try {
    ws = new WebSocket(wsUrl());
  } catch {
    scheduleReconnect();
    return;
  }
  state.ws = ws;
  state.openedAt = 0;
  state.welcomedAt = 0;
  state.lastFrameAt = Date.now();
  setPhase('connecting');

  ws.addEventListener('open', () => {
    if (connNo !== state.connNo) return;
    state.openedAt = Date.now();
    state.lastFrameAt = Date.now();
    const hello = { type: 'hello', token: state.token };
    if (state.lastSeq !== null) hello.resume = state.lastSeq;
    ws.send(JSON.stringify(hello));
  });
  ws.addEventListener('message', (ev) => {
    if (connNo !== state.connNo) return;
    state.lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (frame && typeof frame === 'object' && !Array.isArray(frame)) handleFrame(frame);
  });
  ws.addEventListener('close', (ev) => {
    if (connNo !== state.connNo) return;
    onSocketGone(ev.code);
  });
  // 'error' is always followed by 'close'; nothing to do here.
}

function onSocketGone(code) {
  const lived = state.welcomedAt ? Date.now() - state.welcomedAt : 0;
  state.ws = null;
  if (code === CLOSE_REPLACED) {
    // The same handset token connected from another tab or device and took over. Reconnecting
    // by ourselves would throw that one out in turn, for ever; the user decides.
    clearTimeout(state.retryTimer);
    state.attempt = 0;
    setPhase('replaced');
    return;
  }
  if (code === CLOSE_UNAUTHORISED) {
    state.authRejected = !state.welcomedAt;
  }
  if (lived >= STABLE_MS) state.attempt = 0;
  scheduleReconnect();
}

/** Forget a socket that may be half-open, without waiting for its close handshake. */
function dropSocket() {
  const ws = state.ws;
  state.connNo++;
  state.ws = null;
  if (ws) {
    try {
      ws.close(4000, 'client closing');
    } catch {
      // ignore
    }
  }
}

function scheduleReconnect() {
  if (!state.token) {
    setPhase('no-token');
    return;
  }
  // Exponential backoff, 1 s doubling to 30 s, with "equal jitter" (half fixed, half random)
  // so that a whole office of handsets does not reconnect in the same instant.
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** state.attempt);
  const delay = Math.round(base / 2 + Math.random() * (base / 2));
  state.attempt = Math.min(state.attempt + 1, 10);
  state.retryAt = Date.now() + delay;
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(connect, delay);
  setPhase('reconnecting');
}

function reconnectNow() {
  if (state.phase === 'reconnecting' || state.phase === 'replaced') {
    state.attempt = Math.max(0, state.attempt - 1);
    connect();
  }
}

function watchdog() {
  if (!state.ws) return;
  // Opening (or waiting for welcome) takes seconds at most; silence after that means a dead
  // socket (a phone that changed network often keeps a half-open TCP connection for minutes).
  const limit = state.welcomedAt
    ? Math.max(WATCHDOG_MIN_MS, state.pingGapMs * 3.5)
    : CONNECT_TIMEOUT_MS;
  if (Date.now() - state.lastFrameAt > limit) {
    dropSocket();
    scheduleReconnect();
  }
}

function sendNow(frame) {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN || !state.welcomedAt) return false;
  try {
    ws.send(JSON.stringify(frame));
    return true;
  } catch {
    return false;
  }
}

// A frame written into a socket that turns out to be dead is lost without an error. Accept and
// decline are re-sent when the server offers the role again (see handleAlarm); these are kept
// until a later frame about the same alarm (or lockdown) arrives on the same connection, and
// are sent again after a reconnect otherwise. The server must take a repeat as a no-op.
const TRACKED = new Set(['step_done', 'need_help', 'all_clear', 'lockdown']);

function ackKey(frame) {
  return frame.type === 'lockdown' ? 'lockdown' : `alarm:${frame.alarm_id}`;
}

function acknowledge(key) {
  state.inflight = state.inflight.filter((x) => !(x.connNo === state.connNo && ackKey(x.frame) === key));
}

function sent(frame) {
  if (TRACKED.has(frame.type)) state.inflight.push({ frame, connNo: state.connNo });
}

/** Send an action; while disconnected it waits and goes out right after the next welcome. */
function sendAction(frame) {
  if (sendNow(frame)) sent(frame);
  else state.outbox.push(frame);
  renderConn();
  return state.connNo;
}

function flushOutbox() {
  // What went out on a dead connection without a sign that it arrived goes again, first.
  const lost = state.inflight.filter((x) => x.connNo !== state.connNo).map((x) => x.frame);
  state.inflight = state.inflight.filter((x) => x.connNo === state.connNo);
  const pending = [...lost, ...state.outbox];
  state.outbox = [];
  for (const frame of pending) {
    if (!sendNow(frame)) {
      state.outbox.push(frame);
      continue;
    }
    sent(frame);
    // An answer that went out now belongs to this connection (see the resend in handleAlarm).
    if (frame.type === 'accept' || frame.type === 'decline') {
      const offer = state.alarms.get(frame.alarm_id)?.offers.get(frame.role_id);
      if (offer && offer.pending === frame.type) offer.pendingConn = state.connNo;
    }
  }
}

function isQueued(pred) {
  return state.outbox.some(pred);
}

// ---------------------------------------------------------------- frames

function handleFrame(f) {
  if (typeof f.event_seq === 'number' && Number.isFinite(f.event_seq)) {
    state.lastSeq = state.lastSeq === null ? f.event_seq : Math.max(state.lastSeq, f.event_seq);
  }
  switch (f.type) {
    case 'welcome': return handleWelcome(f);
    case 'alarm': return handleAlarm(f);
    case 'alarm_notice': return handleAlarmNotice(f);
    case 'alarm_update': return handleUpdate(f);
    case 'alarm_closed': return handleClosed(f);
    case 'notice': return handleNotice(f);
    case 'error': return handleError(f);
    case 'ping': return handlePing(f);
    default: return undefined; // unknown frames are ignored
  }
}

function handleWelcome(f) {
  state.welcomedAt = Date.now();
  state.authRejected = false;
  state.me = {
    personId: str(f.person_id) || idOf(f.person) || null,
    name: nameOf(f.person) || null,
    officeId: str(f.office_id) || null,
    officeName: str(f.office_name) || nameOf(f.office) || null,
    handsetId: str(f.handset_id) || null,
  };
  state.standingRoles = Array.isArray(f.standing_roles) ? f.standing_roles : [];
  // Extension: the server may list the alarms still open; any other we show is over.
  if (Array.isArray(f.open_alarms)) {
    const open = new Set(f.open_alarms.map(String));
    for (const alarm of state.alarms.values()) {
      if (!alarm.closed && !open.has(alarm.id)) closeAlarm(alarm, 'unknown', null);
    }
  }
  flushOutbox();
  setPhase('connected');
  renderWelcome();
  renderAlarms();
}

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
  };
}

function standingRole(roleId) {
  return state.standingRoles.find((r) => r && typeof r === 'object' && (r.role_id === roleId || r.id === roleId));
}

function handleAlarm(f) {
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
  if (known) {
    // The same offer again (resume after a reconnect): never a second card.
    known.title = str(o.title) || known.title;
    known.stance = str(o.stance) || known.stance;
    if (steps.length) known.steps = steps;
    known.leader = known.leader || o.leader === true;
    // The server re-offers only what it has no answer to. If our answer went out on a
    // connection that has since died, it may be lost: send it again.
    if (known.pending && known.pendingConn !== state.connNo
        && !isQueued((q) => q.alarm_id === alarmId && q.role_id === roleId)) {
      known.pendingConn = sendAction({ type: known.pending, alarm_id: alarmId, role_id: roleId });
    } else if (!known.pending && known.status !== 'accepted') {
      // Declined (and the server moved on), or taken by someone who let it go: the server
      // offers it to us again, e.g. in the "everyone present" stage. A fresh offer.
      known.status = 'offered';
      known.holder = null;
      known.deadline = offerDeadline(o);
      notifyNewOffer();
    } else if (known.status === 'offered' && 'due_at' in o) {
      known.deadline = offerDeadline(o); // a resend carries the real remaining time
    }
    renderAlarms();
    return;
  }
  const within = Number.isFinite(o.accept_within_s) ? o.accept_within_s : null;
  alarm.offers.set(roleId, {
    role_id: roleId,
    title: str(o.title) || roleId,
    stance: str(o.stance),
    steps,
    leader: o.leader === true || standingRole(roleId)?.leader === true,
    accept_within_s: within,
    deadline: offerDeadline(o),
    status: 'offered',   // offered | accepted | declined | taken | closed
    confirmed: false,    // accepted according to an alarm_update
    pending: null,       // 'accept' | 'decline' sent, no answer yet
    pendingConn: 0,
    pendingAt: 0,
    holder: null,
    stepsDone: new Set(),
    stepsSent: new Set(),
  });
  notifyNewOffer();
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

function handleAlarmNotice(f) {
  const alarmId = str(f.alarm_id);
  if (!alarmId || state.closedIds.has(alarmId)) return;
  const alarm = ensureAlarm(alarmId);
  alarm.info = alarmInfo(f);
  alarm.noticeText = str(f.text) || alarm.noticeText;
  renderAlarms();
}

/** true: the role's holder is this person; false: someone else; null: nobody or unknown. */
function holderIsMe(role) {
  const holderId = str(role.holder_id) || idOf(role.holder);
  if (holderId && state.me.personId) return holderId === state.me.personId;
  const holderName = nameOf(role.holder);
  if (!holderId && !holderName) return null;
  if (holderName && state.me.name) return holderName === state.me.name;
  return null;
}

function handleUpdate(f) {
  const alarmId = str(f.alarm_id);
  if (!alarmId || state.closedIds.has(alarmId)) return;
  acknowledge(`alarm:${alarmId}`);
  const alarm = ensureAlarm(alarmId);
  alarm.state = str(f.state) || alarm.state;
  alarm.lastEvent = f.last_event ?? alarm.lastEvent;
  if (alarm.info && str(f.level)) alarm.info.level = f.level;
  if (f.lockdown === true && !state.lockdown) {
    state.lockdown = { kind: 'lockdown', text: '', alarmId, at: Date.now() };
    renderNotices();
  } else if (f.lockdown === false && state.lockdown && state.lockdown.alarmId === alarmId) {
    state.lockdown = null; // lifted while we were away: the snapshot after a reconnect says so
    renderNotices();
  }
  if (Array.isArray(f.roles)) {
    alarm.roles = f.roles.filter((r) => r && typeof r === 'object' && str(r.role_id));
    for (const role of alarm.roles) {
      const mine = holderIsMe(role);
      let offer = alarm.offers.get(role.role_id);
      if (!offer && mine === true) {
        // We hold a role we have no offer for (e.g. the page was reloaded): show what we know.
        offer = {
          role_id: role.role_id, title: str(role.title) || role.role_id, stance: '', steps: [],
          leader: role.leader === true || standingRole(role.role_id)?.leader === true,
          accept_within_s: null, deadline: null, status: 'accepted', confirmed: true,
          pending: null, pendingConn: 0, pendingAt: 0, holder: null,
          stepsDone: new Set(), stepsSent: new Set(),
        };
        alarm.offers.set(role.role_id, offer);
      }
      if (!offer) continue;
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
  }
  renderAlarms();
}

function closeAlarm(alarm, outcome, closedAt) {
  alarm.closed = { outcome: outcome || 'unknown', at: closedAt };
  for (const offer of alarm.offers.values()) {
    if (offer.status === 'offered') offer.status = 'closed';
    offer.pending = null;
  }
  state.closedIds.add(alarm.id);
  state.outbox = state.outbox.filter((q) => q.alarm_id !== alarm.id);
  state.inflight = state.inflight.filter((x) => x.frame.alarm_id !== alarm.id);
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
  const key = typeof f.event_seq === 'number' ? `seq:${f.event_seq}` : `${kind}:${str(f.text)}:${str(f.alarm_id)}`;
  if (state.noticeKeys.has(key)) return;
  state.noticeKeys.add(key);
  const notice = { kind, text: str(f.text), alarmId: str(f.alarm_id), at: Date.now() };
  if (kind === 'lockdown' || kind === 'lockdown_lifted') {
    acknowledge('lockdown');
    // The server repeats an active lockdown after every reconnect: list it only when it changes.
    const changes = kind === 'lockdown' ? !state.lockdown || !state.lockdown.text : !!state.lockdown;
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
  const msg = str(f.message) || 'Ukjent feil';
  const code = str(f.code) || (typeof f.code === 'number' ? String(f.code) : '');
  showError(code ? `${msg} (${code})` : msg);
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
  }
  renderAlarms();
}

function handlePing(f) {
  const now = Date.now();
  if (state.lastPingAt) state.pingGapMs = now - state.lastPingAt;
  state.lastPingAt = now;
  sendNow({ type: 'pong', nonce: f.nonce });
}

// ---------------------------------------------------------------- actions

function accept(alarm, offer) {
  offer.status = 'accepted';
  offer.pending = 'accept';
  offer.pendingAt = Date.now();
  offer.pendingConn = sendAction({ type: 'accept', alarm_id: alarm.id, role_id: offer.role_id });
  renderAlarms();
}

function decline(alarm, offer) {
  offer.status = 'declined';
  offer.pending = 'decline';
  offer.pendingAt = Date.now();
  offer.pendingConn = sendAction({ type: 'decline', alarm_id: alarm.id, role_id: offer.role_id });
  renderAlarms();
}

function stepDone(alarm, offer, n) {
  if (offer.stepsDone.has(n) || offer.stepsSent.has(n)) return;
  offer.stepsSent.add(n);
  offer.pendingAt = Date.now();
  sendAction({ type: 'step_done', alarm_id: alarm.id, role_id: offer.role_id, step: n });
  renderAlarms();
}

function needHelp(alarm) {
  alarm.helpAt = Date.now();
  sendAction({ type: 'need_help', alarm_id: alarm.id });
  renderAlarms();
}

/** Actions that end something for everyone need a second tap within a few seconds. */
function confirmTwice(key, action) {
  if (isArmed(key)) {
    state.armed.delete(key);
    action();
  } else {
    state.armed.set(key, Date.now());
    setTimeout(() => {
      if (state.armed.has(key) && !isArmed(key)) {
        state.armed.delete(key);
        renderAlarms();
      }
    }, CONFIRM_MS + 50);
  }
  renderAlarms();
}

function isArmed(key) {
  const at = state.armed.get(key);
  return at !== undefined && Date.now() - at < CONFIRM_MS;
}

function allClear(alarm) {
  confirmTwice(`${alarm.id}|all-clear`, () => {
    alarm.allClearSent = Date.now();
    sendAction({ type: 'all_clear', alarm_id: alarm.id });
  });
}

function toggleLockdown(alarm) {
  const on = !state.lockdown;
  confirmTwice(`${alarm.id}|lockdown`, () => {
    sendAction({ type: 'lockdown', on, alarm_id: alarm.id });
  });
}

function notifyNewOffer() {
  try {
    if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
  } catch {
    // not allowed before a user gesture: fine
  }
}

// ---------------------------------------------------------------- rendering

function setPhase(phase) {
  state.phase = phase;
  renderConn();
}

function renderConn() {
  const el = $('conn-state');
  const text = el.querySelector('.conn-text');
  const retryIn = el.querySelector('.conn-countdown');
  const retry = $('reconnect-now');
  el.dataset.state = state.phase;
  let msg;
  let countdown = '';
  switch (state.phase) {
    case 'connected': msg = 'Tilkoblet'; break;
    case 'connecting': msg = 'Kobler til …'; break;
    case 'reconnecting': {
      msg = state.authRejected ? 'Token avvist' : 'Frakoblet';
      const s = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
      countdown = ` – kobler til igjen om ${s} s`;
      break;
    }
    case 'replaced': msg = 'Koblet fra: mottakeren er åpnet i et annet vindu eller på en annen enhet'; break;
    case 'no-token': msg = 'Ikke innlogget'; break;
    default: msg = 'Ikke tilkoblet';
  }
  if (state.outbox.length) msg += ` · ${state.outbox.length} venter på å bli sendt`;
  // Only the phase is announced; the per-second countdown is not (it would drown a screen reader).
  if (text.textContent !== msg) text.textContent = msg;
  if (retryIn.textContent !== countdown) retryIn.textContent = countdown;
  retry.hidden = state.phase !== 'reconnecting' && state.phase !== 'replaced';
  retry.textContent = state.phase === 'replaced' ? 'Koble til her' : 'Koble til nå';
  el.dataset.outbox = String(state.outbox.length);

  const form = $('token-form');
  form.hidden = !(state.phase === 'no-token' || state.authRejected);
  $('token-hint').textContent = state.authRejected
    ? 'Tokenet ble avvist av tjenesten (4401). Sjekk det og prøv igjen.'
    : 'Lim inn mottakertokenet du har fått av sikkerhetskoordinatoren.';
  $('logout').hidden = !state.token;
}

function renderWelcome() {
  const el = $('welcome');
  if (!state.me.name && !state.me.officeId) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  $('person-name').textContent = state.me.name || '–';
  $('office').textContent = state.me.officeName && state.me.officeId && state.me.officeName !== state.me.officeId
    ? `${state.me.officeName} (${state.me.officeId})`
    : state.me.officeName || state.me.officeId || '–';
  const list = $('standing-roles');
  list.replaceChildren();
  if (!state.standingRoles.length) {
    list.append(h('li', { class: 'muted', text: 'Ingen faste roller' }));
  }
  for (const r of state.standingRoles) {
    if (typeof r === 'string') {
      list.append(h('li', { 'data-testid': 'standing-role', text: r }));
    } else if (r && typeof r === 'object') {
      const title = str(r.title) || str(r.role_id) || str(r.id);
      list.append(h('li', { 'data-testid': 'standing-role', 'data-role-id': str(r.role_id) || str(r.id) || null },
        h('strong', { text: title }),
        r.stance ? [' – ', label(STANCES, r.stance)] : null,
        r.deputy === true || str(r.as) === 'deputy' ? h('span', { class: 'small', text: ' (vara)' }) : null));
    }
  }
}

/**
 * The status to show. One role per person per alarm: once this person holds (or has just
 * accepted) a role, the server withdraws their other offers in that alarm, and the protocol has
 * no frame for that, so they are shown as withdrawn (and come back if the accept is refused).
 */
function shownStatus(alarm, offer) {
  if (offer.status !== 'offered') return offer.status;
  for (const other of alarm.offers.values()) {
    if (other !== offer && other.status === 'accepted') return 'withdrawn';
  }
  return 'offered';
}

function waitingOffers(alarm) {
  return [...alarm.offers.values()].filter((o) => shownStatus(alarm, o) === 'offered');
}

/** Unanswered offers first, then alarms where I hold a role, then the rest, closed last. */
function alarmRank(alarm) {
  if (alarm.closed) return 3;
  if (waitingOffers(alarm).length) return 0;
  if ([...alarm.offers.values()].some((o) => o.status === 'accepted')) return 1;
  return 2;
}

function sortedAlarms() {
  return [...state.alarms.values()].sort((a, b) => alarmRank(a) - alarmRank(b) || b.firstSeen - a.firstSeen);
}

function renderAlarms() {
  const container = $('alarms');
  const focusKey = document.activeElement?.dataset?.focusKey;
  container.replaceChildren(...sortedAlarms().map(renderAlarm));
  $('idle').hidden = state.alarms.size > 0;
  if (focusKey) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
    if (again) again.focus();
  }
  const waiting = [...state.alarms.values()].reduce((n, a) => n + waitingOffers(a).length, 0);
  document.title = waiting ? `(${waiting}) ALARM – Rollekort` : 'Rollekort – mottaker';
  tick();
}

function renderAlarm(alarm) {
  const info = alarm.info || { mode: 'real', location: {}, trigger: {} };
  const mode = info.mode || 'real';
  const isNoticeOnly = alarm.offers.size === 0;
  const card = h('article', {
    class: `alarm mode-${mode} level-${info.level || 'unknown'}${alarm.closed ? ' closed' : ''}`,
    'data-testid': 'alarm',
    'data-alarm-id': alarm.id,
    'data-mode': mode,
    'data-kind': isNoticeOnly ? 'notice' : 'offer',
    'data-state': alarm.closed ? 'closed' : 'open',
    'aria-label': `Alarm ${info.location?.name || alarm.id}`,
  });

  card.append(h('div', { class: `mode-banner mode-${mode}`, 'data-testid': 'mode-label', 'data-mode': mode },
    label(MODES, mode)));

  const loc = info.location || {};
  const trig = info.trigger || {};
  const holder = nameOf(trig.holder);
  const facts = h('dl', { class: 'facts' },
    h('dt', { text: 'Hvor' }),
    h('dd', { 'data-testid': 'location' }, h('strong', { text: str(loc.name) || str(loc.id) || 'ukjent sted' }),
      str(loc.zone) ? ` – sone ${loc.zone}` : ''),
    h('dt', { text: 'Nivå' }),
    h('dd', { 'data-testid': 'level', 'data-level': info.level || '' }, info.level ? label(LEVELS, info.level) : '–'),
    h('dt', { text: 'Utløser' }),
    h('dd', { 'data-testid': 'trigger-kind', 'data-kind': str(trig.kind) },
      trig.kind ? label(TRIGGER_KINDS, trig.kind) : '–', holder ? ` (${holder})` : ''),
    info.raised_at ? [h('dt', { text: 'Utløst' }), h('dd', { text: `kl. ${fmtTime(info.raised_at)}` })] : null,
    info.office_id && state.me.officeId && info.office_id !== state.me.officeId
      ? [h('dt', { text: 'Fra' }), h('dd', { 'data-testid': 'origin', text: `annet kontor: ${info.office_id}` })]
      : null,
  );
  card.append(facts);

  if (alarm.closed) {
    card.append(h('p', { class: 'closed-banner', 'data-testid': 'alarm-closed', 'data-outcome': alarm.closed.outcome, role: 'status' },
      'Alarmen er over – ', label(OUTCOMES, alarm.closed.outcome),
      alarm.closed.at ? ` kl. ${fmtTime(alarm.closed.at)}` : ''));
  }

  if (alarm.noticeText) {
    card.append(h('p', { class: 'notice-text', 'data-testid': 'alarm-notice', text: alarm.noticeText }));
  } else if (isNoticeOnly && !alarm.closed) {
    card.append(h('p', { class: 'notice-text', 'data-testid': 'alarm-notice', text: 'Du har ingen rolle i denne alarmen.' }));
  }

  for (const offer of alarm.offers.values()) card.append(renderOffer(alarm, offer));

  const mine = [...alarm.offers.values()].filter((o) => o.status === 'accepted');
  if (mine.length && !alarm.closed) card.append(renderHolderActions(alarm, mine));

  if (alarm.roles && alarm.roles.length) card.append(renderRoles(alarm));

  const lastText = describeEvent(alarm.lastEvent);
  if (lastText) {
    const help = alarm.lastEvent?.type === 'HelpRequested';
    card.append(h('p', { class: `last-event${help ? ' help' : ''}`, 'data-testid': 'last-event', 'data-event': str(alarm.lastEvent?.type) },
      `Siste: ${lastText}`));
  }

  if (alarm.closed) {
    card.append(h('button', {
      type: 'button', class: 'btn btn-secondary', 'data-testid': 'dismiss',
      'data-focus-key': `${alarm.id}|dismiss`, 'aria-label': 'Fjern denne alarmen fra skjermen',
      onclick: () => { state.alarms.delete(alarm.id); renderAlarms(); },
    }, 'Fjern ', h('span', { class: 'small', lang: 'en', text: '(dismiss)' })));
  }
  return card;
}

/** An event's actor ("person:<id>", "device:<id>", "system") as a short name, or ''. */
function actorName(actor) {
  if (!actor || actor === 'system') return '';
  const device = /^device:(.+)$/.exec(actor);
  if (device) return `knapp ${device[1]}`;
  const id = /^person:(.+)$/.exec(actor)?.[1] ?? actor;
  if (id === state.me.personId) return 'deg';
  for (const alarm of state.alarms.values()) {
    for (const r of alarm.roles || []) if (r.holder_id === id && str(r.holder)) return r.holder;
  }
  return id;
}

/** last_event as a short line: {type, at, actor} from this server, or a plain string. */
function describeEvent(last) {
  if (typeof last === 'string') return last;
  if (!last || typeof last !== 'object') return '';
  const what = EVENTS[str(last.type)] || str(last.text) || str(last.type) || str(last.kind);
  if (!what) return '';
  const who = actorName(str(last.actor));
  const when = str(last.at) ? ` kl. ${fmtTime(last.at)}` : '';
  return `${what}${who ? ` (${who})` : ''}${when}`;
}

function renderOffer(alarm, offer) {
  const key = `${alarm.id}|${offer.role_id}`;
  const status = shownStatus(alarm, offer);
  const el = h('section', {
    class: `offer status-${status}`,
    'data-testid': 'offer',
    'data-alarm-id': alarm.id,
    'data-role-id': offer.role_id,
    'data-status': status,
    'data-confirmed': offer.confirmed ? 'true' : 'false',
    'data-leader': offer.leader ? 'true' : 'false',
    'aria-label': `Rolle: ${offer.title}`,
  });
  el.append(h('h3', { class: 'role-title', 'data-testid': 'role-title' },
    status === 'offered' ? 'Tilbud: ' : '', offer.title,
    offer.leader ? h('span', { class: 'badge', text: 'leder' }) : null));
  if (offer.stance) {
    el.append(h('p', { class: 'stance', 'data-testid': 'stance', 'data-stance': offer.stance },
      h('span', { class: 'label', text: 'Din holdning: ' }), label(STANCES, offer.stance)));
  }

  const working = status === 'accepted' && !alarm.closed;
  // Steps only where they matter: to decide (offered) and to do (accepted).
  if (offer.steps.length && (status === 'offered' || status === 'accepted')) {
    const ol = h('ol', { class: 'steps', 'data-testid': 'steps' });
    for (const s of offer.steps) {
      const done = offer.stepsDone.has(s.n);
      const sent = offer.stepsSent.has(s.n);
      ol.append(h('li', { class: `step${done ? ' done' : ''}`, value: s.n, 'data-step': s.n },
        h('span', { class: 'step-text' }, h('span', { class: 'step-n', text: `${s.n}. ` }), s.text),
        working ? h('button', {
          type: 'button',
          class: `btn btn-tick${done || sent ? ' ticked' : ''}`,
          'data-testid': `step-${s.n}`,
          'data-done': done ? 'true' : sent ? 'sent' : 'false',
          'data-focus-key': `${key}|step-${s.n}`,
          'aria-pressed': done || sent ? 'true' : 'false',
          'aria-label': `${done ? 'Utført' : sent ? 'Sendt' : 'Marker som utført'}: steg ${s.n}, ${s.text}`,
          title: 'step done',
          disabled: done || sent,
          onclick: () => stepDone(alarm, offer, s.n),
        }, done ? '✓ Utført' : sent ? '✓ Sendt …' : 'Utført') : (done ? h('span', { class: 'tick', text: ' ✓' }) : null)));
    }
    el.append(ol);
  }

  switch (status) {
    case 'offered': {
      if (offer.deadline !== null) {
        el.append(h('p', {
          class: 'countdown', 'data-testid': 'countdown', role: 'timer', 'aria-live': 'off',
          'data-deadline': String(offer.deadline),
        }));
      } else {
        el.append(h('p', { class: 'countdown', 'data-testid': 'no-deadline', text: 'Svar så snart du kan' }));
      }
      el.append(h('div', { class: 'answer' },
        h('button', {
          type: 'button', class: 'btn btn-accept', 'data-testid': 'accept', 'data-focus-key': `${key}|accept`,
          'aria-label': `Godta rollen ${offer.title}`, title: 'Accept',
          onclick: () => accept(alarm, offer),
        }, 'Godta', h('span', { class: 'small', lang: 'en', text: 'Accept' })),
        h('button', {
          type: 'button', class: 'btn btn-decline', 'data-testid': 'decline', 'data-focus-key': `${key}|decline`,
          'aria-label': `Avslå rollen ${offer.title}`, title: 'Decline',
          onclick: () => decline(alarm, offer),
        }, 'Avslå', h('span', { class: 'small', lang: 'en', text: 'Decline' }))));
      break;
    }
    case 'accepted':
      el.append(h('p', { class: 'status-line', 'data-testid': 'offer-status', role: 'status' },
        offer.confirmed ? 'Du har denne rollen.'
          : isQueued((q) => q.type === 'accept' && q.alarm_id === alarm.id && q.role_id === offer.role_id)
            ? 'Du har godtatt – sendes når tilkoblet …' : 'Du har godtatt – venter på bekreftelse …'));
      break;
    case 'declined':
      el.append(h('p', { class: 'status-line', 'data-testid': 'offer-status' },
        isQueued((q) => q.type === 'decline' && q.alarm_id === alarm.id && q.role_id === offer.role_id)
          ? 'Du avslo – sendes når tilkoblet …' : 'Du avslo denne rollen.'));
      break;
    case 'taken':
      el.append(h('p', { class: 'status-line', 'data-testid': 'offer-status' },
        `Rollen er tatt av ${offer.holder || 'en annen'}.`));
      break;
    case 'closed':
      el.append(h('p', { class: 'status-line', 'data-testid': 'offer-status', text: 'Tilbudet gjelder ikke lenger.' }));
      break;
    case 'withdrawn':
      el.append(h('p', { class: 'status-line', 'data-testid': 'offer-status', text: 'Trukket: du har en annen rolle i denne alarmen.' }));
      break;
    default:
      break;
  }
  return el;
}

function renderHolderActions(alarm, mine) {
  const box = h('div', { class: 'holder-actions' });
  box.append(h('button', {
    type: 'button', class: 'btn btn-help', 'data-testid': 'need-help', 'data-focus-key': `${alarm.id}|need-help`,
    'aria-label': 'Trenger hjelp: jeg er alene eller det blir verre', title: 'Need help',
    onclick: () => needHelp(alarm),
  }, 'Trenger hjelp', h('span', { class: 'small', lang: 'en', text: 'Need help' })));
  if (alarm.helpAt) {
    box.append(h('p', { class: 'small', 'data-testid': 'help-sent', role: 'status', text: `Hjelp bedt om kl. ${fmtTime(new Date(alarm.helpAt).toISOString())}` }));
  }
  if (mine.some((o) => o.leader)) {
    const armedClear = isArmed(`${alarm.id}|all-clear`);
    box.append(h('button', {
      type: 'button', class: `btn btn-clear${armedClear ? ' armed' : ''}`, 'data-testid': 'all-clear',
      'data-armed': armedClear ? 'true' : 'false', 'data-focus-key': `${alarm.id}|all-clear`,
      'aria-label': armedClear ? 'Bekreft alt klart: trykk igjen for å avslutte alarmen' : 'Alt klart: avslutt alarmen',
      title: 'All clear',
      onclick: () => allClear(alarm),
    }, armedClear ? 'Trykk igjen: Alt klart' : 'Alt klart', h('span', { class: 'small', lang: 'en', text: 'All clear' })));
    if (alarm.allClearSent) box.append(h('p', { class: 'small', role: 'status', text: 'Alt klart er sendt.' }));
    const on = !state.lockdown;
    const armedLock = isArmed(`${alarm.id}|lockdown`);
    box.append(h('button', {
      type: 'button', class: `btn btn-secondary${armedLock ? ' armed' : ''}`, 'data-testid': 'lockdown',
      'data-armed': armedLock ? 'true' : 'false', 'data-on': on ? 'true' : 'false', 'data-focus-key': `${alarm.id}|lockdown`,
      'aria-label': `${armedLock ? 'Bekreft: ' : ''}${on ? 'Send innelåsing til hele kontoret' : 'Opphev innelåsing'}`,
      title: on ? 'Send lockdown' : 'Lift lockdown',
      onclick: () => toggleLockdown(alarm),
    }, armedLock ? 'Trykk igjen: ' : '', on ? 'Send innelåsing' : 'Opphev innelåsing'));
  }
  return box;
}

function renderRoles(alarm) {
  const box = h('div', { class: 'roles' },
    h('h4', { text: 'Hvem har hvilken rolle' },
      alarm.state && !alarm.closed ? [' – ', label(ALARM_STATES, alarm.state)] : null));
  const ul = h('ul', { 'data-testid': 'roles' });
  for (const r of alarm.roles) {
    const who = nameOf(r.holder) || str(r.holder_id);
    const mine = holderIsMe(r) === true;
    ul.append(h('li', { 'data-testid': 'role-row', 'data-role-id': r.role_id, 'data-state': str(r.state), class: `role-row state-${str(r.state)}` },
      h('strong', { text: str(r.title) || r.role_id }), ': ',
      who ? h('span', { 'data-testid': 'role-holder', text: mine ? `${who} (deg)` : who }) : h('span', { class: 'muted', text: 'ingen ennå' }),
      r.state ? [' · ', label(ROLE_STATES, str(r.state))] : null,
      Array.isArray(r.steps_done) && r.steps_done.length
        ? h('span', { class: 'small', text: ` · steg utført: ${r.steps_done.join(', ')}` }) : null));
  }
  box.append(ul);
  return box;
}

function renderNotices() {
  const banner = $('lockdown-banner');
  if (state.lockdown) {
    banner.hidden = false;
    banner.textContent = `INNELÅSING${state.lockdown.text ? `: ${state.lockdown.text}` : ''}`;
  } else {
    banner.hidden = true;
    banner.textContent = '';
  }
  const ul = $('notices');
  ul.replaceChildren(...state.notices.map((n) => h('li', { class: `notice kind-${n.kind}`, 'data-testid': 'notice', 'data-kind': n.kind },
    h('span', { class: 'notice-time', text: fmtTime(new Date(n.at).toISOString()) }), ' ',
    h('strong', {}, label(NOTICE_KINDS, n.kind)), n.text ? `: ${n.text}` : '')));
}

let toastTimer = null;
function showError(text) {
  const el = $('error');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ERROR_SHOW_MS);
}

/** Once a second-ish: countdowns and the reconnect countdown, without rebuilding the page. */
function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-testid="countdown"]')) {
    const left = Number(el.dataset.deadline) - now;
    const text = left > 0 ? `Svar innen ${fmtClock(left)}` : 'Fristen er ute – du kan fortsatt godta';
    if (el.textContent !== text) el.textContent = text;
    el.classList.toggle('urgent', left <= 10000);
    el.dataset.expired = left > 0 ? 'false' : 'true';
  }
  if (state.phase === 'reconnecting') renderConn();
}

// ---------------------------------------------------------------- start

function start() {
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = $('token-input').value.trim();
    if (!value) return;
    if (value !== state.token) resetSession();
    state.token = value;
    saveToken(value);
    $('token-input').value = '';
    state.attempt = 0;
    state.authRejected = false;
    dropSocket();
    renderWelcome();
    renderAlarms();
    renderNotices();
    connect();
  });
  $('logout').addEventListener('click', () => {
    clearToken();
    state.token = null;
    dropSocket();
    clearTimeout(state.retryTimer);
    resetSession();
    renderWelcome();
    renderAlarms();
    renderNotices();
    setPhase('no-token');
  });
  $('reconnect-now').addEventListener('click', reconnectNow);
  const retryIfWaiting = () => {
    if (state.phase === 'reconnecting') reconnectNow();
  };
  window.addEventListener('online', retryIfWaiting);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') retryIfWaiting();
  });
  setInterval(tick, 250);
  setInterval(watchdog, 5000);

  state.token = readToken();
  renderWelcome();
  renderAlarms();
  renderNotices();
  connect();
}

// Exposed for tests and debugging only; the page does not depend on it.
window.rollekortHandset = { state, handleFrame };

start();
