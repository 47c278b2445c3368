// Where I am and what I pressed: check-in at a desk or room (so a press of its fixed button
// names me), the quiet presser card (what to do, then "help is coming", then "help is here"),
// and the "I am there" and "police contacted" taps of someone with a role.
// Frames: welcome/places {place, carrying, locations}, presser {alarm_id, state, code,
// params, text, steps, at}; sends check_in, check_out, arrived, police_contacted.

import { $, h, str } from './dom.js';
import { addStrings, onLangChange, t } from './i18n.js';
import { sendAction } from './hs-conn.js';
import { codedText, shownText } from './hs-text.js';
import { state } from './hs-state.js';

addStrings({
  'place.heading': ['Hvor er du?', 'Where are you?'],
  'place.in': ['Sjekket inn: {name}', 'Checked in: {name}'],
  'place.none': ['Ikke sjekket inn. Sjekk inn ved pulten eller rommet du sitter i, så vet alarmen at det er du som trykker der.', 'Not checked in. Check in at the desk or room you sit in, so an alarm from there knows it is you.'],
  'place.choose': ['Pult eller rom', 'Desk or room'],
  'place.checkIn': ['Sjekk inn', 'Check in'],
  'place.checkOut': ['Sjekk ut', 'Check out'],
  'presser.heading': ['Din alarm', 'Your alarm'],
  'arrived.button': ['Jeg er fremme', 'I am there'],
  'arrived.label': ['Jeg er fremme på alarmstedet', 'I am at the alarm location'],
  'arrived.sent': ['Du er registrert som fremme.', 'You are recorded as there.'],
  'police.button': ['Politiet er ringt', 'Police called'],
  'police.notCalled': ['Politiet er IKKE varslet av Rollekort: ring 112.', 'The police have NOT been alerted by Rollekort: call 112.'],
  'police.contacted': ['Politiet er kontaktet ({name}).', 'Police contacted ({name}).'],
  'error.unknown_location': ['Ukjent pult eller rom.', 'Unknown desk or room.'],
  'error.presser': ['Du trykket alarmen: du er allerede der.', 'You pressed the alarm: you are already there.'],
});

const place = { current: null, locations: [], presser: null, wanted: null };

onLangChange(() => {
  renderPlace();
  renderPresser();
});

/** The place fields of `welcome` and `places`. */
export function handlePlaces(f) {
  if (Array.isArray(f.locations)) place.locations = f.locations.filter((x) => x && str(x.id));
  if ('place' in f) place.current = f.place && str(f.place.id) ? f.place : null;
  state.myZone = place.current ? str(place.current.zone) || null : null; // where this phone is
  if (f.type === 'places') place.wanted = place.current?.id || null; // what I asked for, confirmed
  // The service stores check-ins; one it lost (a write the database refused) is said again.
  if (f.type === 'welcome' && !place.current && place.wanted) {
    sendAction({ type: 'check_in', location_id: place.wanted });
  }
  renderPlace();
}

export function handlePresser(f) {
  if (!str(f.alarm_id)) return;
  place.presser = f;
  renderPresser();
}

function renderPlace() {
  const box = $('place-panel');
  if (!box) return;
  const select = h('select', { id: 'place-select', 'data-testid': 'place-select' },
    place.locations.map((x) => h('option', { value: x.id, text: str(x.name) || x.id, selected: place.current?.id === x.id })));
  box.hidden = !place.locations.length;
  box.replaceChildren(
    h('h2', { class: 'label', text: t('place.heading') }),
    h('p', { 'data-testid': 'place-state', text: place.current ? t('place.in', { name: str(place.current.name) }) : t('place.none') }),
    h('label', { for: 'place-select', text: t('place.choose') }), select,
    h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'check-in',
      onclick: () => sendAction({ type: 'check_in', location_id: select.value }) }, t('place.checkIn')),
    place.current ? h('button', { type: 'button', class: 'btn btn-link', 'data-testid': 'check-out',
      onclick: () => sendAction({ type: 'check_out' }) }, t('place.checkOut')) : null,
  );
}

function renderPresser() {
  const box = $('presser-card');
  const f = place.presser;
  if (!box || !f) return;
  const steps = Array.isArray(f.steps) ? f.steps : [];
  box.hidden = false;
  box.dataset.state = str(f.state);
  box.replaceChildren(
    h('h2', { class: 'label', text: t('presser.heading') }),
    h('p', { 'data-testid': 'presser-text', role: 'status' }, ...shownText(codedText(f))),
    steps.length ? h('ol', { class: 'steps' }, steps.map((s) => h('li', { text: str(s.text) }))) : null,
  );
}

/** Taps for someone holding a role: "I am there", and "police called" until someone has. */
export function placeActions(alarm) {
  const out = [];
  if (!alarm.arrivedSent) {
    out.push(h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'arrived',
      'aria-label': t('arrived.label'),
      onclick: () => { alarm.arrivedSent = Date.now(); sendAction({ type: 'arrived', alarm_id: alarm.id }); } },
    t('arrived.button')));
  } else {
    out.push(h('p', { class: 'small', role: 'status', 'data-testid': 'arrived-sent', text: t('arrived.sent') }));
  }
  const by = str(alarm.policeContactedBy);
  out.push(h('p', { class: by ? 'small' : 'police-warning', 'data-testid': 'police-line',
    text: by ? t('police.contacted', { name: by }) : t('police.notCalled') }));
  if (!by) {
    out.push(h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'police-contacted',
      onclick: () => sendAction({ type: 'police_contacted', alarm_id: alarm.id }) }, t('police.button')));
  }
  return out;
}
