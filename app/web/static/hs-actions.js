// What the holder's taps send (protocol v1 client frames). Answers are shown at once and
// corrected by the server's next alarm_update or error.

import { CONFIRM_MS, UNDO_MS, isArmed, state } from './hs-state.js';
import { sendAction } from './hs-conn.js';
import { renderAlarms, renderWelcome } from './hs-view.js';

export function accept(alarm, offer) {
  offer.status = 'accepted';
  offer.pending = 'accept';
  offer.pendingAt = Date.now();
  offer.pendingConn = sendAction({ type: 'accept', alarm_id: alarm.id, role_id: offer.role_id });
  renderAlarms();
}

/** A decline is only sent after UNDO_MS: a tap by mistake under stress can be taken back. */
export function decline(alarm, offer) {
  offer.status = 'declining';
  offer.declineAt = Date.now() + UNDO_MS;
  clearTimeout(offer.undoTimer);
  offer.undoTimer = setTimeout(() => sendDecline(alarm, offer), UNDO_MS);
  renderAlarms();
}

function sendDecline(alarm, offer) {
  if (offer.status !== 'declining' || alarm.closed) return;
  if ([...alarm.offers.values()].some((o) => o.status === 'accepted')) {
    offer.status = 'offered'; // the server withdrew it when the other was accepted: shown so
    renderAlarms();
    return;
  }
  offer.status = 'declined';
  offer.pending = 'decline';
  offer.pendingAt = Date.now();
  offer.pendingConn = sendAction({ type: 'decline', alarm_id: alarm.id, role_id: offer.role_id });
  renderAlarms();
}

export function undoDecline(alarm, offer) {
  clearTimeout(offer.undoTimer);
  if (offer.status === 'declining') offer.status = alarm.closed ? 'closed' : 'offered';
  renderAlarms();
}

export function stepDone(alarm, offer, n) {
  if (offer.stepsDone.has(n) || offer.stepsSent.has(n)) return;
  offer.stepsSent.add(n);
  offer.pendingAt = Date.now();
  sendAction({ type: 'step_done', alarm_id: alarm.id, role_id: offer.role_id, step: n });
  renderAlarms();
}

export function needHelp(alarm) {
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

export function allClear(alarm) {
  confirmTwice(`${alarm.id}|all-clear`, () => {
    alarm.allClearSent = Date.now();
    sendAction({ type: 'all_clear', alarm_id: alarm.id });
  });
}

export function toggleLockdown(alarm) {
  const on = !state.lockdown;
  confirmTwice(`${alarm.id}|lockdown`, () => {
    sendAction({ type: 'lockdown', on, alarm_id: alarm.id });
  });
}

/** I have read the active role card (and the office's rule on intervening). */
export function acknowledgeCard() {
  sendAction({ type: 'acknowledge' });
}

/** Off duty: no roles are offered, notices still come. */
export function toggleDuty() {
  state.dutyWanted = !state.duty;
  state.duty = state.dutyWanted; // shown at once; the server's `duty` answer confirms it
  sendAction({ type: 'duty', on: state.dutyWanted });
  renderWelcome();
}
