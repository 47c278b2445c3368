// Server texts on the handset: kept as the code and parameters that arrived, and rendered in the
// page's language each time they are shown (so switching language changes them too). A server
// without codes (protocol v1 only) still has its plain `text` shown.

import { str } from './dom.js';
import { t, tc } from './i18n.js';

/** What a frame's text is: {code, params, problems: [{code, params}], text}. */
export function codedText(f) {
  const problems = Array.isArray(f.coverage?.problems)
    ? f.coverage.problems.filter((p) => p && str(p.code))
      .map((p) => ({ code: `coverage.${p.code}`, params: p.params && typeof p.params === 'object' ? p.params : {} }))
    : [];
  return {
    code: str(f.code), params: f.params && typeof f.params === 'object' ? f.params : {}, problems, text: str(f.text),
  };
}

/** The text in the page's language; '' for nothing to say. */
export function shownText(coded) {
  if (!coded) return '';
  if (!coded.code) return coded.text || '';
  const head = tc(coded.code, coded.params) || t('notice.unknownCode', { code: coded.code });
  const reasons = coded.problems.map((p) => tc(p.code, p.params) || t('notice.unknownCode', { code: p.code }));
  return reasons.length ? `${head}: ${reasons.join('; ')}` : head;
}
