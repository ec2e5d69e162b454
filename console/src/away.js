// The away message (GET and PUT /away-message, managers and admins; Chatwoot's "out of office message"): sent once,
// automatically, to a customer whose direct message arrives outside the operator's business hours, in their language
// when a translation fits (`ja`, `en`), else the default text. Public comments never get it. Such a reply is marked
// `automatic` in a conversation's timeline and is not the brand's first reply.
// Kept free of the page (no DOM, no i18n) so that node can run it in tests/test_console_away.py.

export const MAX_CHARACTERS = 1000; // each text, counted in characters (code points) as the API counts them
export const TOKEN = '{{customer_name}}';
export const TRANSLATIONS = ['ja', 'en']; // the languages a translation may be written for, in the order shown
// the tightest direct message of the platforms it goes to: Instagram's, in UTF-8 bytes; the API checks each text with a
// name this long filled in for the token (away_text_too_long)
export const INSTAGRAM_DM_BYTES = 1000;
const LONGEST_NAME = 50;
const DM_PLATFORMS = ['messenger', 'instagram', 'whatsapp', 'x', 'telegram'];
const encoder = new TextEncoder();

export function characters(text) {
  return [...String(text ?? '')].length;
}

// a text's size in an Instagram DM as the API counts it: UTF-8 bytes, with the longest name filled in
export function instagramBytes(text) {
  return encoder.encode(String(text ?? '').replaceAll(TOKEN, 'W'.repeat(LONGEST_NAME))).length;
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

// what an away_text_too_long refusal names ("the ja text is too long for a direct message on instagram ..."): the
// text (`text`, `ja`, `en`) and the platform, each null when it does not say
export function tooLongRefusal(message) {
  const said = String(message ?? '').toLowerCase();
  const language = said.match(/\bthe (\w+) text\b/)?.[1];
  const field = TRANSLATIONS.includes(language) ? language : /\bthe text\b/.test(said) ? 'text' : null;
  const platform = said.match(/\bon (\w+)\b/)?.[1];
  return { field, platform: DM_PLATFORMS.includes(platform) ? platform : null };
}

// a reply the system sent by itself (the away message), not a person from the console
export function isAutomatic(reply) {
  return reply?.automatic === true;
}
