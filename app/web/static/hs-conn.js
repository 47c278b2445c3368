// The handset's websocket (protocol v1, section 3): hello, reconnect with backoff and jitter, a
// watchdog for half-open sockets, and an outbox so that an answer given while offline is sent
// after the next welcome. Frames go to hs-frames.js; the connection state is drawn by hs-view.js.

import {
  BACKOFF_MAX_MS, BACKOFF_MIN_MS, CLOSE_NOT_LEADING, CLOSE_REPLACED, CLOSE_UNAUTHORISED,
  CONNECT_TIMEOUT_MS, QUICK_MAX_MS, QUICK_MIN_MS, QUICK_RETRIES, STABLE_MS, TOKEN_KEY,
  WATCHDOG_MIN_MS, state,
} from './hs-state.js';
import { handleFrame } from './hs-frames.js';
import { renderConn, setPhase } from './hs-view.js';

export function readToken() {
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

export function saveToken(token) {
  try {
    window.localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // private mode: the token lives for this page only
  }
}

export function clearToken() {
  try {
    window.localStorage.removeItem(TOKEN_KEY);
  } catch {
    // ignore
  }
}

function wsUrl() {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/ws/handset`;
}

export function connect() {
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
    const hello = { type: 'hello', token: state.token, receipts: true };
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
    onSocketGone(ev.code, ev.reason);
  });
  // 'error' is always followed by 'close'; nothing to do here.
}

function onSocketGone(code, reason) {
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
  if (code === CLOSE_UNAUTHORISED) state.authRejected = !state.welcomedAt;
  if (lived >= STABLE_MS) state.attempt = 0;
  // A standby answered (its leader just died or is being replaced): the new leader is moments
  // away. The same code for "too many connections waiting for hello" keeps the backoff.
  const notLeading = code === CLOSE_NOT_LEADING && String(reason || '').startsWith('not leading');
  scheduleReconnect(notLeading && state.quickLeft-- > 0);
}

/** Forget a socket that may be half-open, without waiting for its close handshake. */
export function dropSocket() {
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

/** How long to wait before reconnect attempt `attempt` (0: the first after a good connection). */
export function reconnectDelay(attempt, quick = false) {
  // The first try goes almost at once (a replica died: another leads within a second), spread
  // over 200 ms so that a whole county's handsets do not arrive in the same millisecond. Then
  // exponential backoff, 0.5 s doubling to 30 s, with "equal jitter" (half fixed, half random).
  if (attempt === 0 || quick) {
    return Math.round(QUICK_MIN_MS + Math.random() * (QUICK_MAX_MS - QUICK_MIN_MS));
  }
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempt - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

export function scheduleReconnect(quick = false) {
  if (!state.token) {
    setPhase('no-token');
    return;
  }
  const delay = reconnectDelay(state.attempt, quick);
  if (!quick) state.attempt = Math.min(state.attempt + 1, 10);
  state.retryAt = Date.now() + delay;
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(connect, delay);
  setPhase('reconnecting');
}

export function reconnectNow() {
  if (state.phase === 'reconnecting' || state.phase === 'replaced') {
    state.attempt = Math.max(0, state.attempt - 1);
    connect();
  }
}

export function watchdog() {
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

export function sendNow(frame) {
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
// are sent again after a reconnect otherwise. The server takes a repeat as a no-op.
const TRACKED = new Set(['step_done', 'need_help', 'all_clear', 'lockdown']);

function ackKey(frame) {
  return frame.type === 'lockdown' ? 'lockdown' : `alarm:${frame.alarm_id}`;
}

export function acknowledge(key) {
  state.inflight = state.inflight.filter((x) => !(x.connNo === state.connNo && ackKey(x.frame) === key));
}

function sent(frame) {
  if (TRACKED.has(frame.type)) state.inflight.push({ frame, connNo: state.connNo });
}

/** Send an action; while disconnected it waits and goes out right after the next welcome. */
export function sendAction(frame) {
  if (sendNow(frame)) sent(frame);
  else state.outbox.push(frame);
  renderConn();
  return state.connNo;
}

export function flushOutbox() {
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
