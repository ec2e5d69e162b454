// The satisfaction survey (GET and PUT /satisfaction-survey, managers and admins; Zendesk's and Chatwoot's CSAT): when
// someone resolves a direct-message conversation the team answered, the customer gets one automatic message asking
// for a rating from 1 to 5; a reply that is only a rating is recorded on the conversation (its `satisfaction`) and
// does not reopen it. After a rating of 1 to 3 the brand asks the follow-up question managers wrote; the customer's
// next message is recorded as the rating's comment and, being an ordinary message, reopens the conversation. Its texts
// work as the away message's (automatic_texts.js).
// Kept free of the page (no DOM, no i18n) so that node can run it.
import {
  FOLLOW_UP_FIELDS, textNeededProblem, textsBody, textsFormOf, textsOf, tooLongProblem, writtenTranslations,
} from './automatic_texts.js';

export const MAX_SCORE = 5;
// what the console offers to start from (the API fills nothing in): the default texts in English, and Japanese
export const SUGGESTED = {
  text: 'How did we do? Reply with a number from 1 (poor) to 5 (great).',
  ja: '今回の対応はいかがでしたか？1（不満）〜5（満足）の数字で返信してください。',
  followUp: 'Sorry we let you down. What could we have done better?',
  followUpJa: 'ご期待に沿えず申し訳ありません。改善すべき点があれば教えてください。',
};

const NO_FOLLOW_UP = { text: '', translations: {} };

// what the form holds -> PUT /satisfaction-survey's body at the revision read; the follow-up may be blank even when
// the survey is on (then none is asked), a blank translation of it left out as the survey's own. A form without one
// (`followUp` null: an API from before the follow-up question, which would refuse the fields) sends none.
export function surveyBody(form, rev) {
  const body = textsBody(form, rev);
  if (!form.followUp) return body;
  return { ...body, follow_up: String(form.followUp.text ?? ''),
    follow_up_translations: writtenTranslations(form.followUp.translations) };
}

// why the form may not be saved as it is, before asking the API: {problem, field, over?}, or null
export function surveyProblem(form) {
  return tooLongProblem(form) || tooLongProblem(form.followUp || NO_FOLLOW_UP, FOLLOW_UP_FIELDS)
    || textNeededProblem(form);
}

// the form's values from GET or PUT /satisfaction-survey's answer ({enabled, text, translations, followUp: {text,
// translations}}); one never saved starts from the suggested texts (off: nothing is sent until someone ticks the box
// and saves). An API from before the follow-up question reads as one with none.
export function surveyFormOf(state) {
  const form = { ...textsFormOf(state), followUp: textsOf(state?.follow_up, state?.follow_up_translations) };
  return neverSaved(state) ? withSuggestedTexts(form) : form;
}

export function neverSaved(state) {
  return !state?.updated_at && !(state?.rev > 0);
}

// the suggested default and Japanese texts put in, the survey's and its follow-up's; the English ones, the tick and
// anything else stay as they are
export function withSuggestedTexts(form) {
  const followUp = form.followUp || NO_FOLLOW_UP;
  return { ...form, text: SUGGESTED.text, translations: { ...form.translations, ja: SUGGESTED.ja },
    followUp: { text: SUGGESTED.followUp, translations: { ...followUp.translations, ja: SUGGESTED.followUpJa } } };
}

const stringOrNull = (value) => (typeof value === 'string' && value ? value : null);

// a conversation's `satisfaction` as the console shows it: {score, sentAt, ratedAt, messageId, followUpSentAt,
// commentMessageId, commentedAt, comment} once rated (the last four null until the follow-up question went and the
// customer answered it; `comment`, their words, only where the API gives them: a conversation's own read, the message
// not erased), {score: null, sentAt, the rest null} while the survey waits for an answer, null when no survey was
// sent (or the API said something it does not know)
export function ratingOf(item) {
  const said = item?.satisfaction;
  if (!said || typeof said !== 'object' || typeof said.survey_sent_at !== 'string') return null;
  const rated = Number.isInteger(said.score) && said.score >= 1 && said.score <= MAX_SCORE;
  const ifRated = (value) => (rated ? stringOrNull(value) : null);
  const commentMessageId = ifRated(said.comment_message_id);
  const ifCommented = (value) => (commentMessageId ? stringOrNull(value) : null);
  return { score: rated ? said.score : null, sentAt: said.survey_sent_at, ratedAt: ifRated(said.rated_at),
    messageId: ifRated(said.message_id), followUpSentAt: ifRated(said.follow_up_sent_at), commentMessageId,
    commentedAt: ifCommented(said.commented_at), comment: ifCommented(said.comment) };
}

// the score as five stars, filled and empty: a decoration beside the words, never the only way it is said
export function stars(score) {
  const filled = Math.max(0, Math.min(MAX_SCORE, Math.round(Number(score) || 0)));
  return '★'.repeat(filled) + '☆'.repeat(MAX_SCORE - filled);
}
