// How a new offer gets the holder's attention, and keeping the screen on during an alarm.
// - Vibration on every new offer (navigator.vibrate; silently absent on desktops and iOS).
// - Sound only when this handset has sound on AND neither the alarm nor this handset (its person's
//   check-in) is in a public zone, unless the office allows sound there (welcome.sound_in_public):
//   a beep in reception tells the person who caused the alarm, or the public, that staff come.
// - A screen wake lock while an alarm this person is offered or holds a role in is open.
// What happened is kept in `alerts` (and body[data-wakelock]) for tests and support.

import { SOUND_KEY, activeAlarms, state } from './hs-state.js';

export const alerts = [];
const REPEAT_MS = 3000;
let audio = null;
let lock = null;
let lockPending = false;

export function soundEnabled() {
  try {
    return localStorage.getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setSoundEnabled(on) {
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    // private mode: default (on) next time
  }
  if (on) unlockAudio();
}

/** Why this alarm must not make a sound on this handset, or null: 'public' when the alarm is
 * in a public zone, 'here' when this phone is (its person checked in at a public desk: a beep
 * there is heard by the public, whatever the alarm's place; req. 40). */
export function silentBecausePublic(alarm) {
  if (state.soundInPublic) return null;
  if (alarm?.info?.location?.zone === 'public') return 'public';
  return state.myZone === 'public' ? 'here' : null;
}

export function newOffer(alarm) {
  // Several roles offered by one press arrive together: one buzz, not one per role.
  const last = alerts.findLast((a) => a.alarm_id === alarm.id);
  if (last && Date.now() - last.at < REPEAT_MS) return;
  let vibrated = false;
  try {
    vibrated = typeof navigator.vibrate === 'function' && navigator.vibrate([300, 150, 300, 150, 300]);
  } catch {
    vibrated = false; // not allowed before a user gesture: fine
  }
  let sound = 'off';
  const muted = silentBecausePublic(alarm);
  if (soundEnabled()) sound = muted ? `muted-${muted}` : beep() ? 'played' : 'blocked';
  alerts.push({ alarm_id: alarm.id, at: Date.now(), vibrated, sound });
  if (alerts.length > 50) alerts.shift();
}

/** Browsers allow audio only after a user gesture: the first tap anywhere unlocks it. */
export function unlockAudio() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    audio = audio || new Ctx();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}

function beep() {
  if (!audio || audio.state !== 'running') return false;
  const now = audio.currentTime;
  for (let i = 0; i < 3; i++) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, now + i * 0.35);
    gain.gain.exponentialRampToValueAtTime(0.4, now + i * 0.35 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.35 + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.35);
    osc.stop(now + i * 0.35 + 0.3);
  }
  return true;
}

function setLockState(value) {
  document.body.dataset.wakelock = value;
}

/** Hold the screen awake exactly while an alarm needs this person; called after each render. */
export async function syncWakeLock() {
  const want = activeAlarms().length > 0 && document.visibilityState === 'visible';
  if (!('wakeLock' in navigator)) {
    setLockState(want ? 'unsupported' : 'off');
    return;
  }
  if (!want) {
    if (lock) {
      const held = lock;
      lock = null;
      await held.release().catch(() => {});
    }
    setLockState('off');
    return;
  }
  if (lock || lockPending) return;
  lockPending = true;
  try {
    lock = await navigator.wakeLock.request('screen');
    setLockState('held');
    lock.addEventListener('release', () => {
      lock = null;
      setLockState('released');
    });
  } catch {
    setLockState('denied'); // e.g. battery saver; tried again on the next render or visibility
  } finally {
    lockPending = false;
  }
}

export function installAlertHooks() {
  setLockState('off');
  const unlock = () => unlockAudio();
  document.addEventListener('pointerdown', unlock, { passive: true });
  document.addEventListener('keydown', unlock);
  // The browser drops a wake lock when the page is hidden; take it again when it is back.
  document.addEventListener('visibilitychange', () => {
    syncWakeLock();
  });
}
