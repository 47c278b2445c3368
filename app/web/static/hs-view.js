// The handset page's screens, outside the alarm cards: connection state, sign-in form, the idle
// screen (person, standing roles, worn trigger battery, sound), notices, errors, countdowns.

import { $, fmtClock, fmtTime, h, str } from './dom.js';
import { t, tc, tv } from './i18n.js';
import {
  ERROR_SHOW_MS, LOW_BATTERY, activeAlarms, offerOrder, shownStatus, soonestDue, state, waitingOffers,
} from './hs-state.js';
import { leaderBadge, renderAlarm } from './hs-card.js';
import { shownText } from './hs-text.js';
import { setSoundEnabled, soundEnabled, syncWakeLock } from './hs-alert.js';

export function setPhase(phase) {
  state.phase = phase;
  renderConn();
}

function connMessage() {
  switch (state.phase) {
    case 'connected': return t('conn.connected');
    case 'connecting': return t('conn.connecting');
    case 'reconnecting': return state.authRejected ? t('conn.rejected') : t('conn.reconnecting');
    case 'replaced': return t('conn.replaced');
    case 'no-token': return t('conn.noToken');
    default: return t('conn.idle');
  }
}

export function renderConn() {
  const el = $('conn-state');
  const text = el.querySelector('.conn-text');
  const retryIn = el.querySelector('.conn-countdown');
  const retry = $('reconnect-now');
  el.dataset.state = state.phase;
  let msg = connMessage();
  let countdown = '';
  if (state.phase === 'reconnecting') {
    countdown = t('conn.retryIn', { s: Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000)) });
  }
  if (state.outbox.length) msg += t('conn.outbox', { n: state.outbox.length });
  // Only the phase is announced; the per-second countdown is not (it would drown a screen reader).
  if (text.textContent !== msg) text.textContent = msg;
  if (retryIn.textContent !== countdown) retryIn.textContent = countdown;
  retry.hidden = state.phase !== 'reconnecting' && state.phase !== 'replaced';
  retry.textContent = state.phase === 'replaced' ? t('conn.retryHere') : t('conn.retryNow');
  el.dataset.outbox = String(state.outbox.length);

  $('token-form').hidden = !(state.phase === 'no-token' || state.authRejected);
  $('pair-form').hidden = $('token-form').hidden; // pairing with a code (hs-pair.js)
  $('token-hint').textContent = state.authRejected ? t('token.rejected') : t('token.hint');
  $('logout').hidden = !state.token;
}

/** The static texts of handset.html, in the current language. */
export function renderStatic() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  }
}

function renderTriggers() {
  const box = $('triggers');
  box.replaceChildren();
  box.hidden = state.triggers.size === 0;
  for (const d of state.triggers.values()) {
    const battery = Number.isFinite(d.battery) ? d.battery : null;
    const low = battery !== null && battery <= LOW_BATTERY;
    const parts = [];
    if (d.online === false) parts.push(t('me.triggerOffline'));
    if (battery !== null) parts.push(low ? t('me.batteryLow', { n: battery }) : t('me.battery', { n: battery }));
    box.append(h('p', {
      class: `trigger${low || d.online === false ? ' warn' : ''}`, 'data-testid': 'trigger-battery',
      'data-device-id': d.device_id, 'data-battery': battery ?? '',
    }, h('span', { class: 'label', text: `${t('me.trigger')}: ` }), h('strong', { text: d.device_id }),
    parts.length ? ` · ${parts.join(' · ')}` : ''));
  }
}

function renderSound() {
  const btn = $('sound-toggle');
  const on = soundEnabled();
  btn.setAttribute('aria-pressed', on ? 'true' : 'false');
  btn.textContent = on ? t('sound.on') : t('sound.off');
  btn.setAttribute('aria-label', `${t('sound.label')}: ${on ? t('sound.on') : t('sound.off')}`);
}

export function toggleSound() {
  setSoundEnabled(!soundEnabled());
  renderSound();
}

export function renderWelcome() {
  const el = $('welcome');
  renderSound();
  if (!state.me.name && !state.me.officeId) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  $('person-name').textContent = state.me.name || '–';
  $('office').textContent = state.me.officeName || state.me.officeId || '–';
  const list = $('standing-roles');
  list.replaceChildren();
  if (!state.standingRoles.length) list.append(h('li', { class: 'muted', text: t('me.noStanding') }));
  for (const r of state.standingRoles) {
    if (typeof r === 'string') {
      list.append(h('li', { 'data-testid': 'standing-role', text: r }));
    } else if (r && typeof r === 'object') {
      const title = str(r.title) || str(r.role_id) || str(r.id);
      list.append(h('li', { 'data-testid': 'standing-role', 'data-role-id': str(r.role_id) || str(r.id) || null },
        h('strong', { text: title, translate: 'no' }),
        r.leader === true ? leaderBadge(title) : null,
        r.stance ? h('span', { class: 'stance-line', text: tv('stance', r.stance) }) : null,
        r.deputy === true || str(r.as) === 'deputy' ? h('span', { class: 'small', text: ` ${t('me.deputy')}` }) : null,
        str(r.acting_for) ? h('span', { class: 'small', 'data-testid': 'acting-for', text: ` ${t('me.actingFor', { name: str(r.acting_for) })}` }) : null));
    }
  }
  renderTriggers();
  renderCardAndDuty();
}

function renderCardAndDuty() {
  const ack = state.ack;
  const waiting = !!ack && !ack.acknowledged;
  $('ack-panel').hidden = !waiting;
  $('ack-done').hidden = !ack || waiting;
  if (ack) {
    $('ack-version').textContent = t('ack.version', { v: ack.version || '–' });
    $('ack-done').textContent = t('ack.done', { v: ack.version || '–' });
    const policy = $('policy');
    policy.hidden = !ack.policy;
    $('policy-text').textContent = ack.policy || '';
  }
  const duty = $('duty-state');
  duty.textContent = state.duty ? t('duty.on') : t('duty.off');
  duty.dataset.on = state.duty ? 'true' : 'false';
  duty.className = state.duty ? 'duty-on' : 'duty-off';
  $('duty-toggle').textContent = state.duty ? t('duty.goOff') : t('duty.goOn');
}

/** Unanswered offers first, then alarms where I hold a role, then the rest, closed last. */
function alarmRank(alarm) {
  if (alarm.closed) return 3;
  if (waitingOffers(alarm).length) return 0;
  if ([...alarm.offers.values()].some((o) => o.status === 'accepted')) return 1;
  return 2;
}

/** All offers waiting for this person's answer, in the order to answer them. */
function allWaiting(alarms) {
  return alarms.flatMap((a) => offerOrder(a).filter((o) => shownStatus(a, o) === 'offered').map((o) => [a, o]));
}

export function waitingCount() {
  return allWaiting([...state.alarms.values()]).length;
}

function focusOffer(alarm, offer) {
  const el = $('alarms').querySelector(`[data-focus-key="${CSS.escape(`${alarm.id}|${offer.role_id}|accept`)}"]`);
  if (!el) return;
  el.scrollIntoView({ block: 'center' });
  el.focus();
}

/** Two or more offers waiting: all of them named at the top, the soonest first, one tap away. */
function waitingSummary(alarms) {
  const list = allWaiting(alarms);
  if (list.length < 2) return null;
  const head = t('offer.waitingMany', { n: list.length });
  return h('nav', { class: 'waiting', 'data-testid': 'waiting-offers', 'aria-label': head },
    h('p', { class: 'waiting-head', text: head }),
    h('ul', {}, list.map(([a, o]) => h('li', {}, h('button', {
      type: 'button', class: 'btn btn-jump', 'data-testid': 'jump-offer', 'data-role-id': o.role_id,
      'data-focus-key': `${a.id}|${o.role_id}|jump`, onclick: () => focusOffer(a, o),
    }, h('span', { class: 'jump-title', translate: 'no', text: o.title }),
    h('span', { class: 'jump-left', 'data-deadline': o.deadline === null ? '' : String(o.deadline) }))))));
}

/** Where the focus goes when the control that had it is replaced (decline ↔ undo). */
const FOCUS_NEXT = { decline: 'undo', undo: 'accept' };

function restoreFocus(container, focusKey) {
  const again = container.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
  if (again) return again.focus();
  const parts = focusKey.split('|');
  const next = FOCUS_NEXT[parts.at(-1)];
  if (!next) return undefined;
  parts[parts.length - 1] = next;
  container.querySelector(`[data-focus-key="${CSS.escape(parts.join('|'))}"]`)?.focus();
  return undefined;
}

export function renderAlarms() {
  const container = $('alarms');
  const focusKey = document.activeElement?.dataset?.focusKey;
  const alarms = [...state.alarms.values()].sort((a, b) => alarmRank(a) - alarmRank(b)
    || soonestDue(a) - soonestDue(b) || b.firstSeen - a.firstSeen);
  container.replaceChildren(...[waitingSummary(alarms), ...alarms.map(renderAlarm)].filter(Boolean));
  $('idle').hidden = state.alarms.size > 0;
  if (focusKey) restoreFocus(container, focusKey);
  const waiting = alarms.reduce((n, a) => n + waitingOffers(a).length, 0);
  document.title = waiting ? t('hs.titleAlarm', { n: waiting }) : t('hs.title');
  document.body.dataset.alarm = activeAlarms().length ? 'open' : 'none';
  syncWakeLock();
  tick();
}

export function renderNotices() {
  const banner = $('lockdown-banner');
  banner.hidden = !state.lockdown;
  const lockText = state.lockdown ? shownText(state.lockdown) : [];
  banner.replaceChildren(...(state.lockdown ? [t('lock.banner'), ...(lockText.length ? [': ', ...lockText] : [])] : []));
  $('notices').replaceChildren(...state.notices.map((n) => {
    const text = shownText(n);
    return h('li', {
      class: `notice kind-${n.kind}`, 'data-testid': 'notice', 'data-kind': n.kind, 'data-code': n.code || null,
    }, h('span', { class: 'notice-time', text: fmtTime(new Date(n.at)) }), ' ',
    h('strong', { text: tv('notice', n.kind) }), ...(text.length ? [': ', ...text] : []));
  }));
}

let toastTimer = null;
let shownError = null;

function paintError() {
  // Never the server's English `message`: a code this page does not know gets a general text.
  const code = shownError;
  const text = tc(`error.${code}`) || tc('error.other') || t('error.unknown');
  // The code (for support) is an identifier, not words to translate.
  $('error').replaceChildren(text, ...(code ? [' (', h('span', { translate: 'no', text: code }), ')'] : []));
}

/** The server refused something: its error code, shown in the page's language for a while. */
export function showError(code) {
  const el = $('error');
  shownError = code;
  paintError();
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ERROR_SHOW_MS);
}

/** Several times a second: countdowns and the reconnect countdown, without rebuilding. */
export function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-testid="countdown"]')) {
    const left = Number(el.dataset.deadline) - now;
    const text = left > 0 ? t('offer.answerWithin', { t: fmtClock(left) }) : t('offer.expired');
    if (el.textContent !== text) el.textContent = text;
    el.classList.toggle('urgent', left <= 10000);
    el.dataset.expired = left > 0 ? 'false' : 'true';
  }
  for (const el of document.querySelectorAll('.jump-left')) {
    const text = el.dataset.deadline ? fmtClock(Number(el.dataset.deadline) - now) : t('offer.noDeadlineShort');
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of document.querySelectorAll('[data-testid="undo-countdown"]')) {
    const text = t('offer.undoIn', { s: Math.max(0, Math.ceil((Number(el.dataset.until) - now) / 1000)) });
    if (el.textContent !== text) el.textContent = text;
  }
  clearOldAlarms(now);
  if (state.phase === 'reconnecting') renderConn();
}

/** A closed alarm's card leaves the screen by itself after state.closedKeepMs. */
function clearOldAlarms(now) {
  let cleared = false;
  for (const alarm of [...state.alarms.values()]) {
    if (alarm.closed?.seenAt && now - alarm.closed.seenAt >= state.closedKeepMs) {
      state.alarms.delete(alarm.id);
      cleared = true;
    }
  }
  if (cleared) renderAlarms();
}

export function renderAll() {
  renderStatic();
  if (!$('error').hidden && shownError !== null) paintError();
  renderConn();
  renderWelcome();
  renderAlarms();
  renderNotices();
}
