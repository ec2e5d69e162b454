// What the away message and the satisfaction survey have in common: a message the system sends by itself to a
// customer's direct messages, written here as a default text and optional Japanese and English ones, each checked as
// the API checks it, saved at the revision read. And how a conversation's timeline tells such replies apart.
// Kept free of the page (no DOM, no i18n) so that node can run it.

export const MAX_CHARACTERS = 1000; // each text, counted in characters (code points) as the API counts them
export const TOKEN = '{{customer_name}}';
export const TRANSLATIONS = ['ja', 'en']; // the languages a translation may be written for, in the order shown
// the tightest direct message of the platforms it goes to: Instagram's, in UTF-8 bytes; the API checks each text with a
// name this long filled in for the token (away_text_too_long, survey_text_too_long)
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

// a default text's translations as a PUT body carries them: a blank one is left out (the default text goes to that
// language), the others as typed (what the customer gets)
export function writtenTranslations(translations = {}) {
  return Object.fromEntries(TRANSLATIONS
    .filter((lang) => String(translations?.[lang] ?? '').trim())
    .map((lang) => [lang, String(translations[lang])]));
}

// what the form holds -> the PUT body at the revision read
export function textsBody({ enabled, text, translations = {} }, rev) {
  return { enabled: enabled === true, text: String(text ?? ''), translations: writtenTranslations(translations), rev };
}

// the fields of a form's default text and its translations, by language. The satisfaction survey's follow-up question
// is a second such set in the same form, named apart from the message's own so that a refusal points at the right box
export const OWN_FIELDS = { text: 'text', ja: 'ja', en: 'en' };
export const FOLLOW_UP_FIELDS = { text: 'followUp', ja: 'followUpJa', en: 'followUpEn' };

// the first text over MAX_CHARACTERS among a default text and its translations ({text, translations}, the form's own
// unless said), named by `names`: {problem: 'tooLong', field, over}, or null
export function tooLongProblem(texts, names = OWN_FIELDS) {
  const fields = [[names.text, texts?.text], ...TRANSLATIONS.map((lang) => [names[lang], texts?.translations?.[lang]])];
  for (const [field, value] of fields) {
    const over = characters(value) - MAX_CHARACTERS;
    if (over > 0) return { problem: 'tooLong', field, over };
  }
  return null;
}

// turned on without a default text (a translation alone is not enough: the default goes to every other language)
export function textNeededProblem(form) {
  return form.enabled === true && !String(form.text ?? '').trim() ? { problem: 'textNeeded', field: 'text' } : null;
}

// a default text and its translations from a GET or PUT answer ({text, translations}, every language there, blank
// when not written); anything but a string reads as blank
export function textsOf(text, translations) {
  const written = translations && typeof translations === 'object' ? translations : {};
  return {
    text: typeof text === 'string' ? text : '',
    translations: Object.fromEntries(TRANSLATIONS.map((lang) => [lang, typeof written[lang] === 'string'
      ? written[lang] : ''])),
  };
}

// the form's values from a GET or PUT answer
export function textsFormOf(state) {
  return { enabled: state?.enabled === true, ...textsOf(state?.text, state?.translations) };
}

// what a *_text_too_long refusal names ("the ja text is too long for a direct message on instagram ...", "the
// follow-up's ja text ..."): the text (`text`, `ja`, `en`, or the follow-up's FOLLOW_UP_FIELDS) and the platform, each
// null when it does not say
export function tooLongRefusal(message) {
  const said = String(message ?? '').toLowerCase();
  const platform = said.match(/\bon (\w+)\b/)?.[1];
  const followUp = /^\s*the follow-up\b/.test(said);
  const language = said.match(followUp ? /^\s*the follow-up's (\w+) text\b/ : /\bthe (\w+) text\b/)?.[1];
  const names = followUp ? FOLLOW_UP_FIELDS : OWN_FIELDS;
  const field = TRANSLATIONS.includes(language) ? names[language]
    : followUp || /\bthe text\b/.test(said) ? names.text : null;
  return { field, platform: DM_PLATFORMS.includes(platform) ? platform : null };
}

// which automatic reply this is, by who the API says sent it: 'survey', 'followUp' (the survey's question after a low
// rating), 'rule' (a routing rule's reply), 'away' (also one from before replies named their sender), 'other' (one
// this console does not know yet), or null for a person's
export function automaticKind(reply) {
  if (reply?.automatic !== true) return null;
  if (reply.by === 'system:survey') return 'survey';
  if (reply.by === 'system:survey_follow_up') return 'followUp';
  if (reply.by === 'system:rule') return 'rule';
  if (reply.by === 'system:away' || !reply.by) return 'away';
  return 'other';
}
