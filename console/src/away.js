// The away message (GET and PUT /away-message, managers and admins; Chatwoot's "out of office message"): sent once,
// automatically, to a customer whose direct message arrives outside the operator's business hours, in their language
// when a translation fits (`ja`, `en`), else the default text. Public comments never get it. Such a reply is marked
// `automatic` in a conversation's timeline and is not the brand's first reply.
// Kept free of the page (no DOM, no i18n) so that node can run it in tests/test_console_away.py.

export const MAX_CHARACTERS = 1000; // each text, counted in characters (code points) as the API counts them
export const TOKEN = '{{customer_name}}';
export const TRANSLATIONS = ['ja', 'en']; // the languages a translation may be written for, in the order shown
// the platforms whose direct messages get it, as the API's refusal (away_text_too_long) names them
const DM_PLATFORMS = { instagram: 'Instagram', messenger: 'Messenger', whatsapp: 'WhatsApp', telegram: 'Telegram', x: 'X' };

export function characters(text) {
  return [...String(text ?? '')].length;
}

// what the form holds -> PUT /away-message's body at the revision read: a blank translation is left out (the default
// text goes to that language), the texts otherwise as typed (what the customer gets)
export function awayBody({ enabled, text, translations = {} }, rev) {
  const written = Object.fromEntries(TRANSLATIONS
    .filter((lang) => String(translations[lang] ?? '').trim())
    .map((lang) => [lang, String(translations[lang])]));
  return { enabled: enabled === true, text: String(text ?? ''), translations: written, rev };
}

// why the form may not be saved as it is, before asking the API: {problem, field, over?}, or null.
// `hours`: the business hours the API answered (null: none set, so it cannot be turned on)
export function awayProblem(form, hours) {
  const fields = [['text', form.text], ...TRANSLATIONS.map((lang) => [lang, form.translations?.[lang]])];
  for (const [field, value] of fields) {
    const over = characters(value) - MAX_CHARACTERS;
    if (over > 0) return { problem: 'tooLong', field, over };
  }
  if (form.enabled === true && !hours) return { problem: 'hoursNeeded', field: 'enabled' };
  if (form.enabled === true && !String(form.text ?? '').trim()) return { problem: 'textNeeded', field: 'text' };
  return null;
}

// the form's values from GET or PUT /away-message's answer
export function formOf(state) {
  const translations = state?.translations && typeof state.translations === 'object' ? state.translations : {};
  return {
    enabled: state?.enabled === true,
    text: typeof state?.text === 'string' ? state.text : '',
    translations: Object.fromEntries(TRANSLATIONS.map((lang) => [lang, typeof translations[lang] === 'string'
      ? translations[lang] : ''])),
  };
}

// whether the tick may change: without business hours it cannot be turned on, but one left on (the operator removed
// the hours since) can still be turned off
export function canToggle(hours, enabled) {
  return Boolean(hours) || enabled === true;
}

// the platform an away_text_too_long refusal names ("…exceeds Instagram's DM limit…"), or null
export function platformTooShortFor(message) {
  const said = String(message ?? '');
  const named = Object.entries(DM_PLATFORMS).find(([, name]) => new RegExp(`\\b${name}\\b`).test(said));
  return named ? named[0] : null;
}

// a reply the system sent by itself (the away message), not a person from the console
export function isAutomatic(reply) {
  return reply?.automatic === true;
}
