// Strings of the handset and the console: Norwegian (bokmål) by default, English on request.
// Each key holds [bokmål, English]; `{name}` in a string is filled from `vars`.
// The choice is kept in localStorage ('rollekort.lang'); `?lang=en` in the URL also sets it.
// Server texts arrive as codes with parameters (docs/protocol.md, "Texts as codes"); their
// templates are in one table per language, texts-<lang>.json, which the server reads as well.

/** The code tables, fetched once before the page starts (JSON module imports are too new for
 * some phones still in use); without them a code is shown as a general text, never lost. */
async function loadCodes(lang) {
  try {
    const response = await fetch(new URL(`./texts-${lang}.json`, import.meta.url));
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

const LANGS = ['nb', 'en'];
const KEY = 'rollekort.lang';
const listeners = [];
const strings = new Map();

const [nbCodes, enCodes] = await Promise.all([loadCodes('nb'), loadCodes('en')]);
const codes = { nb: nbCodes, en: enCodes };

let current = 'nb';

function fill(text, vars) {
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** A server code in the current language, or '' when this page does not know it. */
export function tc(code, params = {}) {
  const template = codes[current][code];
  return typeof template === 'string' ? fill(template, params && typeof params === 'object' ? params : {}) : '';
}

/**
 * A server code in the current language as parts: strings of the page's language and
 * {value} for each filled-in parameter (names, places, role titles: the office's words).
 * [] when this page does not know the code.
 */
export function tcParts(code, params = {}) {
  const template = codes[current][code];
  if (typeof template !== 'string') return [];
  const vars = params && typeof params === 'object' ? params : {};
  return template.split(/(\{\w+\})/).filter((p) => p !== '').map((p) => {
    const name = /^\{(\w+)\}$/.exec(p)?.[1];
    return name && name in vars ? { value: String(vars[name]) } : p;
  });
}

/** Every string of the page in both languages (for the tests' one-language check). */
export function allStrings() {
  return {
    keys: Object.fromEntries(strings),
    codes,
  };
}

export function addStrings(table) {
  for (const [k, v] of Object.entries(table)) strings.set(k, v);
}

export function lang() {
  return current;
}

export function locale() {
  return current === 'en' ? 'en-GB' : 'nb-NO';
}

/** The string for `key` in the current language; the key itself if there is none. */
export function t(key, vars = {}) {
  const entry = strings.get(key);
  const text = entry ? entry[LANGS.indexOf(current)] ?? entry[0] : key;
  return fill(text, vars);
}

/** A translated label for a value of a known set (`stance.approach`), or the value itself. */
export function tv(group, value) {
  const key = `${group}.${value}`;
  return strings.has(key) ? t(key) : String(value ?? '');
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === current) return;
  current = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    // private mode: the choice lasts for this page
  }
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.push(fn);
}

export function initLang() {
  const fromUrl = new URL(window.location.href).searchParams.get('lang');
  let saved = null;
  try {
    saved = localStorage.getItem(KEY);
  } catch {
    saved = null;
  }
  current = LANGS.includes(fromUrl) ? fromUrl : LANGS.includes(saved) ? saved : 'nb';
  document.documentElement.lang = current;
}

/** Wire a button that switches between the two languages; its text is the other language. */
export function langButton(button, render) {
  const paint = () => {
    const other = current === 'nb' ? 'en' : 'nb';
    button.textContent = other === 'en' ? 'English' : 'Norsk';
    button.lang = other;
    button.setAttribute('aria-label', other === 'en' ? 'Switch to English' : 'Bytt til norsk');
    button.dataset.lang = current;
  };
  button.addEventListener('click', () => setLang(current === 'nb' ? 'en' : 'nb'));
  onLangChange(() => {
    paint();
    render();
  });
  paint();
}

addStrings({
  // what every screen says about an alarm
  'mode.real': ['ALARM', 'ALARM'],
  'mode.drill': ['ØVELSE – ikke reell alarm', 'DRILL – not a real alarm'],
  'mode.test': ['TEST – ikke reell alarm', 'TEST – not a real alarm'],
  'modeShort.real': ['Reell', 'Real'],
  'modeShort.drill': ['ØVELSE', 'DRILL'],
  'modeShort.test': ['TEST', 'TEST'],
  'level.assist': ['Bistand', 'Assist'],
  'level.acute': ['AKUTT', 'ACUTE'],
  'zone.public': ['publikumsområde', 'public area'],
  'zone.conversation_room': ['samtalerom', 'conversation room'],
  'zone.back_office': ['bakland', 'back office'],
  'zone.safe_zone': ['sikker sone', 'safe zone'],
  'zone.other': ['annet', 'other'],
  'trigger.fixed': ['Fastmontert alarm', 'Fixed button'],
  'trigger.worn': ['Utløser på kroppen', 'Worn trigger'],
  'stance.approach': ['Gå inn i situasjonen', 'Go into the situation'],
  'stance.assess_from_door': ['Vurder fra døren – ikke gå inn', 'Assess from the door – do not go in'],
  'stance.assemble_at': ['Møt opp på samlingspunktet', 'Go to the assembly point'],
  'stance.withdraw_to': ['Trekk deg unna til trygg sone', 'Withdraw to a safe place'],
  'stance.stay_and_guard': ['Bli og vokt', 'Stay and guard'],
  'stance.protect_bystanders': ['Beskytt andre som er til stede', 'Protect bystanders'],
  'stance.external_contact': ['Kontakt eksterne (politi, vekter)', 'Call for outside help (police, guards)'],
  'roleState.waiting': ['venter', 'waiting'],
  'roleState.offered': ['tilbudt', 'offered'],
  'roleState.accepted': ['tatt', 'taken'],
  'roleState.unfilled': ['IKKE BESATT', 'NOT FILLED'],
  'roleState.not_taken': ['ikke tatt', 'not taken'],
  'alarmState.open': ['pågår', 'open'],
  'alarmState.resolved': ['løst', 'resolved'],
  'alarmState.cancelled': ['avlyst', 'cancelled'],
  'outcome.resolved': ['løst (alt klart)', 'resolved (all clear)'],
  'outcome.cancelled': ['avlyst', 'cancelled'],
  'outcome.unknown': ['avsluttet', 'closed'],
  'outcome.open': ['pågår', 'open'],
  'event.PressReceived': ['knappen trykket', 'button pressed'],
  'event.AlarmRaised': ['alarm utløst', 'alarm raised'],
  'event.PressRepeated': ['knappen trykket igjen', 'button pressed again'],
  'event.LevelRaised': ['nivået er hevet', 'level raised'],
  'event.RoleOffered': ['rolle tilbudt', 'role offered'],
  'event.RoleAccepted': ['rolle tatt', 'role taken'],
  'event.RoleDeclined': ['rolle avslått', 'role declined'],
  'event.OfferTimedOut': ['tilbud ikke besvart i tide', 'offer not answered in time'],
  'event.OfferWithdrawn': ['tilbud trukket', 'offer withdrawn'],
  'event.RoleUnfilled': ['rolle IKKE BESATT', 'role NOT FILLED'],
  'event.StepCompleted': ['steg utført', 'step done'],
  'event.HelpRequested': ['HJELP BEDT OM', 'HELP REQUESTED'],
  'event.CancelRefused': ['avbryting avvist (for sent)', 'cancel refused (too late)'],
  'event.AllClearGiven': ['alt klart gitt', 'all clear given'],
  'event.AlarmCancelled': ['alarmen avbrutt', 'alarm cancelled'],
  'event.LockdownChanged': ['innelåsing endret', 'lockdown changed'],
  'event.AssemblyCalled': ['samling kalt inn', 'assembly called'],
  'event.LeaderAlerted': ['lederen varslet', 'leader alerted'],
  'event.ExternalAlerted': ['eksterne varslet', 'outside help alerted'],
  'event.ExternalDeliveryReported': ['levering til eksterne rapportert', 'delivery to outside help reported'],
  'event.ReminderSent': ['påminnelse sendt', 'reminder sent'],
  'event.OfferReached': ['tilbudet nådde telefonen', 'the offer reached the phone'],
  'event.OfferNotDelivered': ['tilbudet ble ikke bekreftet av telefonen', 'the phone did not confirm the offer'],
  'common.at': ['kl. {time}', 'at {time}'],
  'common.nobody': ['ingen', 'nobody'],
  'common.unknownPlace': ['ukjent sted', 'unknown place'],
  'common.seconds': ['{s} s', '{s} s'],
  'common.leader': ['leder', 'leader'],
  // the handset
  'hs.title': ['Rollekort – mottaker', 'Rollekort – handset'],
  'hs.titleAlarm': ['({n}) ALARM – Rollekort', '({n}) ALARM – Rollekort'],
  'hs.brandSub': ['mottaker', 'handset'],
  'conn.connected': ['Tilkoblet', 'Connected'],
  'conn.connecting': ['Kobler til …', 'Connecting …'],
  'conn.reconnecting': ['Frakoblet', 'Disconnected'],
  'conn.rejected': ['Token avvist', 'Token refused'],
  'conn.retryIn': [' – kobler til igjen om {s} s', ' – reconnecting in {s} s'],
  'conn.replaced': ['Koblet fra: mottakeren er åpnet i et annet vindu eller på en annen enhet',
    'Disconnected: this handset was opened in another window or device'],
  'conn.noToken': ['Ikke innlogget', 'Not signed in'],
  'conn.idle': ['Ikke tilkoblet', 'Not connected'],
  'conn.outbox': [' · {n} venter på å bli sendt', ' · {n} waiting to be sent'],
  'conn.retryNow': ['Koble til nå', 'Connect now'],
  'conn.retryHere': ['Koble til her', 'Connect here'],
  'token.heading': ['Logg inn mottaker', 'Sign in this handset'],
  'token.hint': ['Lim inn mottakertokenet du har fått av sikkerhetskoordinatoren.',
    'Paste the handset token your safety coordinator gave you.'],
  'token.rejected': ['Tokenet ble avvist av tjenesten (4401). Sjekk det og prøv igjen.',
    'The service refused the token (4401). Check it and try again.'],
  'token.label': ['Mottakertoken', 'Handset token'],
  'token.submit': ['Koble til', 'Connect'],
  'token.change': ['Bytt token', 'Change token'],
  'me.region': ['Mottaker', 'Handset'],
  'me.person': ['Person', 'Person'],
  'me.office': ['Kontor', 'Office'],
  'me.standing': ['Faste roller', 'Standing roles'],
  'me.noStanding': ['Ingen faste roller', 'No standing roles'],
  'me.actingFor': ['(fungerer for {name} i dag)', '(acting for {name} today)'],
  'me.deputy': ['(vara)', '(deputy)'],
  'me.trigger': ['Din utløser', 'Your trigger'],
  'me.battery': ['batteri {n} %', 'battery {n}%'],
  'me.batteryLow': ['LAVT BATTERI {n} % – bytt snart', 'LOW BATTERY {n}% – replace soon'],
  'me.triggerOffline': ['ikke i kontakt', 'offline'],
  'me.idle': ['Ingen aktive alarmer.', 'No active alarms.'],
  'me.alarms': ['Alarmer', 'Alarms'],
  'me.notices': ['Meldinger', 'Messages'],
  'ack.heading': ['Rollekortet er oppdatert', 'The role card has been updated'],
  'ack.version': ['Versjon {v}: les rollene over når du har tid.', 'Version {v}: read the roles above when you have time.'],
  'ack.policySummary': ['Kontorets regel om å gripe inn', "The office's rule on intervening"],
  'ack.button': ['Jeg har lest rollekortet', 'I have read the role card'],
  'ack.done': ['Rollekort {v} er lest ✓', 'Role card {v} read ✓'],
  'duty.on': ['Du er på vakt: du kan få roller.', 'You are on duty: you may be offered roles.'],
  'duty.off': ['Du er AV VAKT: du får varsler, men ingen roller.', 'You are OFF DUTY: you get notices but no roles.'],
  'duty.goOff': ['Gå av vakt', 'Go off duty'],
  'duty.goOn': ['Gå på vakt', 'Go on duty'],
  'alarm.sharedLabel': ['Delt varsel fra ', 'Shared notice from '],
  'alarm.assembleLabel': ['Møt opp: ', 'Go to: '],
  'sound.on': ['Lyd på', 'Sound on'],
  'sound.off': ['Lyd av', 'Sound off'],
  'sound.label': ['Lyd ved nytt tilbud', 'Sound on a new offer'],
  'sound.mutedPublic': ['Denne telefonen vibrerer bare, uten lyd: alarmen er i et publikumsområde, og en lyd kan røpe at hjelp er på vei.',
    'This phone only vibrates, without sound: the alarm is in a public area, and a sound could give away that help is coming.'],
  'sound.mutedHere': ['Denne telefonen vibrerer bare, uten lyd: du er sjekket inn i et publikumsområde, og en lyd der kan røpe at hjelp er på vei.',
    'This phone only vibrates, without sound: you are checked in at a public area, and a sound there could give away that help is coming.'],
  'alarm.label': ['Alarm: {where}', 'Alarm: {where}'],
  'alarm.where': ['Hvor', 'Where'],
  'alarm.visit': ['Utebesøk', 'Outreach visit'],
  'alarm.zone': ['sone: {zone}', 'zone: {zone}'],
  'alarm.whose': ['Hvem utløste', 'Raised by'],
  'alarm.level': ['Nivå', 'Level'],
  'alarm.trigger': ['Utløser', 'Trigger'],
  'alarm.raised': ['Utløst', 'Raised'],
  'alarm.from': ['Fra', 'From'],
  'alarm.otherOfficeLabel': ['annet kontor: ', 'another office: '],
  'alarm.over': ['Alarmen er over – {outcome}', 'The alarm is over – {outcome}'],
  'alarm.noRole': ['Du har ingen rolle i denne alarmen.', 'You have no role in this alarm.'],
  'alarm.latestLabel': ['Siste: ', 'Latest: '],
  'alarm.dismiss': ['Fjern', 'Dismiss'],
  'alarm.clearsAt': ['Forsvinner fra skjermen {time}.', 'Leaves the screen {time}.'],
  'alarm.dismissLabel': ['Fjern denne alarmen fra skjermen', 'Remove this alarm from the screen'],
  'actor.button': ['knapp {id}', 'button {id}'],
  'actor.you': ['deg', 'you'],
  'offer.label': ['Rolle: {title}', 'Role: {title}'],
  'offer.offer': ['Tilbud: ', 'Offer: '],
  'offer.stance': ['Du skal: ', 'What you do: '],
  'offer.showSteps': ['Vis stegene ({n})', 'Show the steps ({n})'],
  'offer.declining': ['Du avslår denne rollen.', 'You are declining this role.'],
  'offer.undoIn': ['Sendes om {s} s', 'Sent in {s} s'],
  'offer.undo': ['Angre', 'Undo'],
  'offer.undoLabel': ['Angre avslaget av {title}', 'Undo declining {title}'],
  'offer.waitingMany': ['{n} tilbud venter på svar', '{n} offers are waiting for your answer'],
  'offer.jumpLabel': ['Gå til tilbudet {title}, {left}', 'Go to the offer {title}, {left}'],
  'offer.noDeadlineShort': ['ingen frist', 'no deadline'],
  'offer.answerWithin': ['Svar innen {t}', 'Answer within {t}'],
  'offer.expired': ['Fristen er ute – du kan fortsatt godta', 'The deadline has passed – you can still accept'],
  'offer.noDeadline': ['Svar så snart du kan', 'Answer as soon as you can'],
  'offer.accept': ['Godta', 'Accept'],
  'offer.acceptLabel': ['Godta rollen {title}', 'Accept the role {title}'],
  'offer.decline': ['Avslå', 'Decline'],
  'offer.declineLabel': ['Avslå rollen {title}', 'Decline the role {title}'],
  'offer.holding': ['Du har denne rollen.', 'You hold this role.'],
  'offer.acceptQueued': ['Du har godtatt – sendes når tilkoblet …', 'Accepted – will be sent when connected …'],
  'offer.acceptSent': ['Du har godtatt – venter på bekreftelse …', 'Accepted – waiting for confirmation …'],
  'offer.declineQueued': ['Du avslo – sendes når tilkoblet …', 'Declined – will be sent when connected …'],
  'offer.declined': ['Du avslo denne rollen.', 'You declined this role.'],
  'offer.taken': ['Rollen er tatt av {who}.', 'The role was taken by {who}.'],
  'offer.someoneElse': ['en annen', 'someone else'],
  'offer.closed': ['Tilbudet gjelder ikke lenger.', 'This offer no longer applies.'],
  'offer.withdrawn': ['Trukket: du har en annen rolle i denne alarmen.', 'Withdrawn: you hold another role in this alarm.'],
  'step.do': ['Utført', 'Done'],
  'step.done': ['✓ Utført', '✓ Done'],
  'step.sent': ['✓ Sendt …', '✓ Sent …'],
  'step.doLabel': ['Utført: marker steg {n}, {text}', 'Done: mark step {n}, {text}'],
  'step.doneLabel': ['Utført: steg {n}, {text}', 'Done: step {n}, {text}'],
  'step.sentLabel': ['Sendt: steg {n}, {text}', 'Sent: step {n}, {text}'],
  'help.button': ['Trenger hjelp', 'Need help'],
  'help.label': ['Trenger hjelp: jeg er alene eller det blir verre', 'Need help: I am alone or it is getting worse'],
  'help.sent': ['Hjelp bedt om kl. {time}', 'Help requested at {time}'],
  'clear.button': ['Alt klart', 'All clear'],
  'clear.armed': ['Trykk igjen: Alt klart', 'Tap again: All clear'],
  'clear.label': ['Alt klart: avslutt alarmen', 'All clear: end the alarm'],
  'clear.armedLabel': ['Trykk igjen: Alt klart – bekreft at alarmen er over', 'Tap again: All clear – confirm the alarm is over'],
  'clear.sent': ['Alt klart er sendt.', 'All clear sent.'],
  'lock.on': ['Send innelåsing', 'Send lockdown'],
  'lock.off': ['Opphev innelåsing', 'Lift lockdown'],
  'lock.onLabel': ['Send innelåsing til hele kontoret', 'Send lockdown to the whole office'],
  'lock.armed': ['Trykk igjen: ', 'Tap again: '],
  'lock.banner': ['INNELÅSING', 'LOCKDOWN'],
  'roles.heading': ['Hvem har hvilken rolle', 'Who has which role'],
  'roles.nobodyYet': ['ingen ennå', 'nobody yet'],
  'roles.youSuffix': [' (deg)', ' (you)'],
  'roles.stepsDone': [' · steg utført: {list}', ' · steps done: {list}'],
  'notice.lockdown': ['INNELÅSING', 'LOCKDOWN'],
  'notice.lockdown_lifted': ['Innelåsing opphevet', 'Lockdown lifted'],
  'notice.coverage': ['Dekning', 'Coverage'],
  'notice.reminder': ['Påminnelse', 'Reminder'],
  'notice.info': ['Info', 'Info'],
  'notice.drill_announced': ['ØVELSE hos naboen', 'DRILL next door'],
  'notice.visit': ['Utealarm', 'Outreach alarm'],
  'error.unknown': ['Ukjent feil', 'Unknown error'],
  'notice.unknownCode': ['melding {code} fra tjenesten', 'message {code} from the service'],
});
