// Server texts on the handset: kept as the code and parameters that arrived, and rendered in the
// page's language each time they are shown (so switching language changes them too). A server
// without codes (protocol v1 only) still has its plain `text` shown. Parameters (role titles,
// places, device names) are the office's own words: marked translate="no".

import { h, str } from './dom.js';
import { t, tcParts } from './i18n.js';

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

function nodes(code, params) {
  const parts = tcParts(code, params);
  if (!parts.length) return [t('notice.unknownCode', { code })];
  return parts.map((p) => (typeof p === 'string' ? p : h('span', { translate: 'no', text: p.value })));
}

/** The text in the page's language, as nodes to append; [] for nothing to say. */
export function shownText(coded) {
  if (!coded) return [];
  if (!coded.code) return coded.text ? [coded.text] : [];
  const out = nodes(coded.code, coded.params);
  coded.problems.forEach((p, i) => out.push(i ? '; ' : ': ', ...nodes(p.code, p.params)));
  return out;
}
