// The satisfaction survey (GET and PUT /satisfaction-survey, managers and admins; Zendesk's and Chatwoot's CSAT): when
// someone resolves a direct-message conversation the team answered, the customer gets one automatic message asking
// for a rating from 1 to 5; a reply that is only a rating is recorded on the conversation (its `satisfaction`) and
// does not reopen it. Its texts work as the away message's (automatic_texts.js).
// Kept free of the page (no DOM, no i18n) so that node can run it.
import { textNeededProblem, textsBody, textsFormOf, tooLongProblem } from './automatic_texts.js';

export const MAX_SCORE = 5;
// what the console offers to start from (the API fills nothing in): the default text in English, and Japanese
export const SUGGESTED = {
  text: 'How did we do? Reply with a number from 1 (poor) to 5 (great).',
  ja: '今回の対応はいかがでしたか？1（不満）〜5（満足）の数字で返信してください。',
};

// what the form holds -> PUT /satisfaction-survey's body at the revision read
export const surveyBody = textsBody;

// why the form may not be saved as it is, before asking the API: {problem, field, over?}, or null
export function surveyProblem(form) {
  return tooLongProblem(form) || textNeededProblem(form);
}

// the form's values from GET or PUT /satisfaction-survey's answer; one never saved starts from the suggested texts
// (off: nothing is sent until someone ticks the box and saves)
export function surveyFormOf(state) {
  const form = textsFormOf(state);
  return neverSaved(state) ? withSuggestedTexts(form) : form;
}

export function neverSaved(state) {
  return !state?.updated_at && !(state?.rev > 0);
}

// the suggested default and Japanese texts put in; the English one, the tick and anything else stay as they are
export function withSuggestedTexts(form) {
  return { ...form, text: SUGGESTED.text, translations: { ...form.translations, ja: SUGGESTED.ja } };
}

// a conversation's `satisfaction` as the console shows it: {score, ratedAt, sentAt} once rated, {score: null, sentAt}
// while the survey waits for an answer, null when no survey was sent (or the API said something it does not know)
export function ratingOf(item) {
  const said = item?.satisfaction;
  if (!said || typeof said !== 'object' || typeof said.survey_sent_at !== 'string') return null;
  const rated = Number.isInteger(said.score) && said.score >= 1 && said.score <= MAX_SCORE;
  return { score: rated ? said.score : null, sentAt: said.survey_sent_at, ratedAt: rated ? said.rated_at ?? null : null,
    messageId: rated ? said.message_id ?? null : null };
}

// the score as five stars, filled and empty: a decoration beside the words, never the only way it is said
export function stars(score) {
  const filled = Math.max(0, Math.min(MAX_SCORE, Math.round(Number(score) || 0)));
  return '★'.repeat(filled) + '☆'.repeat(MAX_SCORE - filled);
}
