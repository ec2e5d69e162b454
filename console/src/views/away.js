// The away message view (managers, admins; GET and PUT /away-message): the business hours (set here above it,
// views/business_hours.js, where the API has GET /business-hours; else the operator's) and whether it is open now,
// the tick that turns the away message on, its default text and its Japanese and English ones, who saved it last (that
// form is views/texts_form.js, shared with the satisfaction survey). Saving sends the revision read: someone else's
// save meanwhile (409) is said, and the current one can be loaded without losing what was typed. Agents have no such view.
import { api, features } from '../api.js';
import { h, replace } from '../dom.js';
import { errorText, sentences, t } from '../i18n.js';
import { awayBody, awayProblem, canToggle, formOf } from '../away.js';
import { busy, notice, showError } from '../ui.js';
import { businessHoursSection } from './business_hours.js';
import { textsForm } from './texts_form.js';

// what the form held when the view was redrawn (a language switch): survives that, not leaving the view
let draft = null;

// a refusal of PUT /away-message other than a text too long, in words
function awayErrorText(error, editable) {
  if (error.code === 'business_hours_not_set') {
    return t(editable ? 'away.error.hoursNotSetHere' : 'away.error.hoursNotSet');
  }
  if (error.code === 'invalid_request') return t('away.error.invalid');
  return errorText(error);
}

export function mountAway(container) {
  let disposed = false;
  let stored = null; // the away message as the API last answered it
  let editable = false; // business hours are set here (GET /business-hours), not only by the operator

  const texts = textsForm('away');
  const { enabled, submit } = texts;
  const hours = h('div', { class: 'away-hours', id: 'away-hours' });
  const state = h('p', { class: 'texts-state', id: 'away-state' });
  const status = h('p', { class: 'loading', id: 'away-loading' }, t('away.loading'));

  const form = h('form', { novalidate: true, class: 'panel texts-form', id: 'away-form', hidden: true,
    'aria-labelledby': 'away-form-title' },
  h('h2', { id: 'away-form-title', tabindex: '-1' }, t('away.formTitle')),
  hours, state, texts.error, texts.conflict, texts.tick, ...texts.texts, texts.savedBy,
  h('div', { class: 'toolbar' }, submit));

  // the parts that say what is stored: the business hours and whether open now, on or off, who saved it last
  function show(answer) {
    stored = answer;
    const scheduled = answer.business_hours;
    const openNow = typeof answer.open_now === 'boolean'
      ? h('span', { class: ['badge', answer.open_now ? 'badge-open' : 'badge-closed'], id: 'away-open-now' },
        t(answer.open_now ? 'away.openNow' : 'away.closedNow')) : null;
    replace(hours, scheduled
      ? h('p', {}, h('span', { id: 'away-business-hours' }, t('away.hours', { hours: scheduled })), ' ', openNow)
      : h('p', { class: 'warning', id: 'away-no-hours' }, t(editable ? 'away.noHoursHere' : 'away.noHours')));
    replace(state, t(answer.enabled ? 'away.stateOn' : 'away.stateOff'));
    state.classList.toggle('on', answer.enabled === true);
    enabled.disabled = !canToggle(scheduled, enabled.checked);
    texts.showSavedBy(answer);
  }

  enabled.addEventListener('change', () => {
    enabled.disabled = !canToggle(stored?.business_hours, enabled.checked);
  });

  form.addEventListener('submit', busy(submit, async () => {
    texts.clearErrors();
    const typed = texts.values();
    const problem = awayProblem(typed, stored.business_hours);
    if (problem) {
      texts.refuseProblem(problem, problem.problem === 'hoursNeeded' && editable ? 'hoursNeededHere' : problem.problem);
      return;
    }
    let answer;
    try {
      answer = await api('away-message', { method: 'PUT', body: awayBody(typed, stored.rev) });
    } catch (error) {
      if (error.code === 'concurrent_change') {
        texts.conflicted({
          read: () => api('away-message'),
          loaded: (current) => {
            texts.fill(formOf(current));
            show(current);
          },
          putBack: () => {
            enabled.disabled = !canToggle(stored?.business_hours, enabled.checked);
          },
        });
      } else if (!texts.refuseTooLong(error)) {
        texts.refuse(awayErrorText(error, editable), error.code === 'business_hours_not_set' ? 'enabled' : 'text');
      }
      return;
    }
    texts.fill(formOf(answer));
    show(answer);
    notice(sentences(t('texts.saved'), t(answer.enabled ? 'away.stateOn' : 'away.stateOff')));
  }));

  // business hours saved above: the away message's notice and tick depend on them, so it is read again; the hours
  // are those just saved (the API's copy elsewhere may take a few seconds to follow), and what was typed in the
  // away form stays as typed, at the revision it was read at
  async function hoursSaved(saved) {
    let fresh = null;
    try {
      fresh = await api('away-message');
    } catch { /* the hours were saved: the away section keeps what it had, with the new hours */ }
    if (disposed || !stored) return;
    const untouched = JSON.stringify(texts.values()) === JSON.stringify(formOf(stored));
    const next = { ...(fresh && untouched ? fresh : stored), business_hours: saved.text ?? null,
      open_now: typeof saved.open_now === 'boolean' ? saved.open_now : null };
    if (fresh && untouched) texts.fill(formOf(next));
    show(next);
  }
  const businessHours = businessHoursSection({ onSaved: hoursSaved });

  replace(container, h('div', { class: 'away' },
    h('h1', {}, t('away.heading')),
    h('p', { class: 'intro' }, t('away.intro')),
    status, businessHours.element, form));

  (async () => {
    let answer;
    let hours;
    try {
      const feats = await features();
      if (!feats.away) {
        if (!disposed) replace(status, t('away.unavailable'));
        return;
      }
      [answer, hours] = await Promise.all([api('away-message'),
        feats.businessHours ? api('business-hours') : null]);
    } catch (error) {
      if (!disposed) {
        status.hidden = true;
        showError(error);
      }
      return;
    }
    if (disposed) return;
    status.hidden = true;
    editable = Boolean(hours);
    if (hours) businessHours.load(hours);
    form.hidden = false;
    texts.fill(draft || formOf(answer));
    draft = null;
    show(answer);
  })();

  return {
    dispose() {
      disposed = true;
      businessHours.dispose();
      // a redraw in place (a language switch) keeps what she was typing; leaving the view drops it
      draft = location.hash.startsWith('#/away') && stored ? texts.values() : null;
    },
  };
}
