// The satisfaction survey view (managers, admins; GET and PUT /satisfaction-survey): the tick that sends it when a
// direct-message conversation is resolved, its default text and its Japanese and English ones, the follow-up question
// asked after a rating of 1 to 3 with its own (empty: none is asked; shown where the API has it), the suggested texts
// to start from, who saved it last. The form is views/texts_form.js, the away message's too: saving sends the revision
// read, and someone else's save meanwhile (409) is said with the current one offered without losing what was typed.
// Agents have no such view.
import { api, features } from '../api.js';
import { h, replace } from '../dom.js';
import { errorText, sentences, t } from '../i18n.js';
import { surveyBody, surveyFormOf, surveyProblem, withSuggestedTexts } from '../survey.js';
import { busy, notice, showError } from '../ui.js';
import { textsForm } from './texts_form.js';

// what the form held when the view was redrawn (a language switch): survives that, not leaving the view
let draft = null;

// a refusal of PUT /satisfaction-survey other than a text too long, in words
function surveyErrorText(error) {
  if (error.code === 'invalid_request') return t('survey.error.invalid');
  return errorText(error);
}

export function mountSurvey(container) {
  let disposed = false;
  let stored = null; // the survey as the API last answered it
  let followUpKnown = false; // the API has the follow-up question (an older one refuses its fields)

  const texts = textsForm('survey', { followUp: true });
  const { submit } = texts;
  const state = h('p', { class: 'texts-state', id: 'survey-state' });
  const status = h('p', { class: 'loading', id: 'survey-loading' }, t('survey.loading'));
  const suggested = h('button', { type: 'button', class: 'secondary', id: 'survey-suggested' }, t('survey.useSuggested'));

  const form = h('form', { novalidate: true, class: 'panel texts-form', id: 'survey-form', hidden: true,
    'aria-labelledby': 'survey-form-title' },
  h('h2', { id: 'survey-form-title', tabindex: '-1' }, t('survey.formTitle')),
  state, texts.error, texts.conflict, texts.tick, ...texts.texts, texts.followUpSection,
  h('div', { class: 'toolbar' }, suggested, h('p', { class: 'hint', id: 'survey-suggested-hint' },
    t('survey.suggestedHint'))),
  texts.savedBy,
  h('div', { class: 'toolbar' }, submit));
  suggested.setAttribute('aria-describedby', 'survey-suggested-hint');

  // the parts that say what is stored: on or off, who saved it last
  function show(answer) {
    stored = answer;
    replace(state, t(answer.enabled ? 'survey.stateOn' : 'survey.stateOff'));
    state.classList.toggle('on', answer.enabled === true);
    texts.showSavedBy(answer);
  }

  suggested.addEventListener('click', () => {
    texts.fill(withSuggestedTexts(texts.values()));
    texts.boxes.text.focus();
  });

  form.addEventListener('submit', busy(submit, async () => {
    texts.clearErrors();
    const typed = followUpKnown ? texts.values() : { ...texts.values(), followUp: null };
    const problem = surveyProblem(typed);
    if (problem) {
      texts.refuseProblem(problem);
      return;
    }
    let answer;
    try {
      answer = await api('satisfaction-survey', { method: 'PUT', body: surveyBody(typed, stored.rev) });
    } catch (error) {
      if (error.code === 'concurrent_change') {
        texts.conflicted({
          read: () => api('satisfaction-survey'),
          loaded: (current) => {
            texts.fill(surveyFormOf(current));
            show(current);
          },
        });
      } else if (!texts.refuseTooLong(error)) {
        texts.refuse(surveyErrorText(error), 'text');
      }
      return;
    }
    texts.fill(surveyFormOf(answer));
    show(answer);
    notice(sentences(t('texts.saved'), t(answer.enabled ? 'survey.stateOn' : 'survey.stateOff')));
  }));

  replace(container, h('div', { class: 'survey' },
    h('h1', {}, t('survey.heading')),
    h('p', { class: 'intro' }, t('survey.intro')),
    status, form));

  (async () => {
    let answer;
    try {
      const feats = await features();
      if (!feats.survey) {
        if (!disposed) replace(status, t('survey.unavailable'));
        return;
      }
      followUpKnown = feats.surveyFollowUp === true;
      answer = await api('satisfaction-survey');
    } catch (error) {
      if (!disposed) {
        status.hidden = true;
        showError(error);
      }
      return;
    }
    if (disposed) return;
    status.hidden = true;
    texts.followUpSection.hidden = !followUpKnown;
    form.hidden = false;
    texts.fill(draft || surveyFormOf(answer));
    draft = null;
    show(answer);
  })();

  return {
    dispose() {
      disposed = true;
      // a redraw in place (a language switch) keeps what she was typing; leaving the view drops it
      draft = location.hash.startsWith('#/survey') && stored ? texts.values() : null;
    },
  };
}
