// The away message (GET and PUT /away-message, managers and admins; Chatwoot's "out of office message"): sent once,
// automatically, to a customer whose direct message arrives outside the operator's business hours, in their language
// when a translation fits (`ja`, `en`), else the default text. Public comments never get it. Such a reply is marked
// `automatic` in a conversation's timeline and is not the brand's first reply.
// What it shares with the satisfaction survey (the texts, their counts, the refusals) is automatic_texts.js.
// Kept free of the page (no DOM, no i18n) so that node can run it in tests/test_console_away.py.
import { textNeededProblem, textsBody, textsFormOf, tooLongProblem } from './automatic_texts.js';

export {
  INSTAGRAM_DM_BYTES, MAX_CHARACTERS, TOKEN, TRANSLATIONS, characters, instagramBytes, tooLongRefusal,
} from './automatic_texts.js';

// what the form holds -> PUT /away-message's body at the revision read
export const awayBody = textsBody;

// the form's values from GET or PUT /away-message's answer
export const formOf = textsFormOf;

// why the form may not be saved as it is, before asking the API: {problem, field, over?}, or null.
// `hours`: the business hours the API answered (null: none set, so it cannot be turned on)
export function awayProblem(form, hours) {
  if (tooLongProblem(form)) return tooLongProblem(form);
  if (form.enabled === true && !hours) return { problem: 'hoursNeeded', field: 'enabled' };
  return textNeededProblem(form);
}

// whether the tick may change: without business hours it cannot be turned on, but one left on (the operator removed
// the hours since) can still be turned off
export function canToggle(hours, enabled) {
  return Boolean(hours) || enabled === true;
}

// a reply the system sent by itself (the away message, the satisfaction survey), not a person from the console
export function isAutomatic(reply) {
  return reply?.automatic === true;
}
