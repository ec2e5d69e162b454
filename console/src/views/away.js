// The away message view (managers, admins; GET and PUT /away-message): the business hours (set here above it,
// views/business_hours.js, where the API has GET /business-hours; else the operator's) and whether it is open now,
// the tick that turns the away message on, its default text and its Japanese and English ones, who saved it last. Saving sends the revision read: someone else's save meanwhile (409) is said, and the
// current one can be loaded without losing what was typed. Agents have no such view.
import { api, features } from '../api.js';
import { field, h, replace, withNode } from '../dom.js';
import { errorText, fmtNumber, platformName, sentences, t, timeTag } from '../i18n.js';
import { actorName } from '../actors.js';
import { INSTAGRAM_DM_BYTES, MAX_CHARACTERS, TOKEN, TRANSLATIONS, awayBody, awayProblem, canToggle, characters, formOf,
  instagramBytes, tooLongRefusal } from '../away.js';
import { busy, notice, offerTheCurrentOne, offerToPutBack, showError } from '../ui.js';
import { businessHoursSection } from './business_hours.js';

// what the form held when the view was redrawn (a language switch): survives that, not leaving the view
let draft = null;



// a refusal of PUT /away-message in words: a text too long for a platform's DMs names the text and the platform
function awayErrorText(error, editable) {
  if (error.code === 'away_text_too_long') {
    const { field, platform } = tooLongRefusal(error.message);
    return t(platform ? 'away.error.tooLongFor' : 'away.error.tooLong',
      { field: t(`away.field.${field || 'any'}`), platform: platform ? platformName(platform) : '' });
  }
  if (error.code === 'business_hours_not_set') {
    return t(editable ? 'away.error.hoursNotSetHere' : 'away.error.hoursNotSet');
  }
  if (error.code === 'invalid_request') return t('away.error.invalid');
  return errorText(error);
}

// the text box a refusal is about, for the focus
function refusedField(error) {
  if (error.code === 'business_hours_not_set') return 'enabled';
  return (error.code === 'away_text_too_long' && tooLongRefusal(error.message).field) || 'text';
}

export function mountAway(container) {
  let disposed = false;
  let stored = null; // the away message as the API last answered it
  let editable = false; // business hours are set here (GET /business-hours), not only by the operator

  const enabled = h('input', { type: 'checkbox', id: 'away-enabled' });
  const textBox = (id) => h('textarea', { id, rows: 5 });
  const boxes = {
    text: textBox('away-text'), ...Object.fromEntries(TRANSLATIONS.map((lang) => [lang, textBox(`away-${lang}`)])),
  };
  const counters = Object.fromEntries(Object.entries(boxes).map(([name, box]) =>
    [name, h('p', { class: 'hint away-count', id: `${box.id}-count`, 'aria-live': 'polite' })]));
  const hours = h('div', { class: 'away-hours', id: 'away-hours' });
  const state = h('p', { class: 'away-state', id: 'away-state' });
  const formError = h('p', { class: 'error', role: 'alert', id: 'away-error' });
  const conflict = h('div', { class: 'warning away-conflict', id: 'away-conflict', role: 'alert', hidden: true });
  const savedBy = h('p', { class: 'hint', id: 'away-saved-by' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'away-save' }, t('away.save'));
  const status = h('p', { class: 'loading', id: 'away-loading' }, t('away.loading'));

  const tokenHint = (key, params = {}) => withNode(t(key, params), '{token}', h('code', {}, TOKEN));
  const textField = (name, label, hint) => {
    const wrapped = field(label, boxes[name], hint);
    boxes[name].setAttribute('aria-describedby', `${boxes[name].id}-hint ${counters[name].id}`);
    wrapped.append(counters[name]);
    return wrapped;
  };
  const form = h('form', { novalidate: true, class: 'panel away-form', id: 'away-form', hidden: true,
    'aria-labelledby': 'away-form-title' },
  h('h2', { id: 'away-form-title', tabindex: '-1' }, t('away.formTitle')),
  hours, state, formError, conflict,
  h('div', { class: 'field' }, h('label', { class: 'check', for: enabled.id }, enabled, ' ', t('away.enabled'))),
  textField('text', t('away.text'), tokenHint('away.textHint')),
  textField('ja', t('away.ja'), tokenHint('away.translationHint', { language: t('filter.language.ja') })),
  textField('en', t('away.en'), tokenHint('away.translationHint', { language: t('filter.language.en') })),
  h('p', { class: 'hint', id: 'away-bytes-hint' }, t('away.bytesHint')),
  savedBy,
  h('div', { class: 'toolbar' }, submit));

  function values() {
    return { enabled: enabled.checked, text: boxes.text.value,
      translations: Object.fromEntries(TRANSLATIONS.map((lang) => [lang, boxes[lang].value])) };
  }

  function fill(form) {
    enabled.checked = form.enabled;
    boxes.text.value = form.text;
    for (const lang of TRANSLATIONS) boxes[lang].value = form.translations[lang] || '';
    count();
  }

  // characters out of 1,000, and the bytes an Instagram DM takes once the name is filled in (the tightest platform)
  function count() {
    for (const [name, box] of Object.entries(boxes)) {
      const n = characters(box.value);
      const bytes = instagramBytes(box.value);
      counters[name].classList.toggle('over', n > MAX_CHARACTERS || bytes > INSTAGRAM_DM_BYTES);
      replace(counters[name], sentences(
        t(n > MAX_CHARACTERS ? 'away.countOver' : 'away.count',
          { n: fmtNumber(n), max: fmtNumber(MAX_CHARACTERS), over: fmtNumber(n - MAX_CHARACTERS) }),
        n && bytes > INSTAGRAM_DM_BYTES
          ? t('away.bytesOver', { n: fmtNumber(bytes), max: fmtNumber(INSTAGRAM_DM_BYTES) }) : ''));
    }
  }

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
    replace(savedBy, answer.updated_at
      ? h('span', { title: answer.updated_by || null },
        withNode(t('away.savedBy', { who: actorName(answer.updated_by) }), '{at}', timeTag(answer.updated_at)))
      : t('away.neverSaved'));
  }

  enabled.addEventListener('change', () => {
    enabled.disabled = !canToggle(stored?.business_hours, enabled.checked);
  });
  for (const box of Object.values(boxes)) box.addEventListener('input', count);

  function clearErrors() {
    replace(formError);
    for (const el of [enabled, ...Object.values(boxes)]) el.removeAttribute('aria-invalid');
  }

  function refuse(text, el) {
    replace(formError, text);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
    }
  }

  // someone saved meanwhile: said; what she typed stays until she loads theirs, and can be put back after that
  function conflicted() {
    const typed = values();
    offerTheCurrentOne(conflict, {
      id: 'away-load-current', said: t('away.changedMeanwhile'), label: t('away.loadCurrent'),
      read: () => api('away-message'),
      loaded: (current) => {
        fill(formOf(current));
        show(current);
        offerToPutBack(conflict, {
          id: 'away-put-back', said: t('away.loadedCurrent'), label: t('away.putBack'),
          putBack: () => {
            fill(typed);
            enabled.disabled = !canToggle(stored?.business_hours, enabled.checked);
            boxes.text.focus();
          },
        });
      },
    });
  }

  form.addEventListener('submit', busy(submit, async () => {
    clearErrors();
    conflict.hidden = true;
    const typed = values();
    const problem = awayProblem(typed, stored.business_hours);
    if (problem) {
      const el = problem.field === 'enabled' ? enabled : boxes[problem.field];
      const key = problem.problem === 'hoursNeeded' && editable ? 'hoursNeededHere' : problem.problem;
      refuse(t(`away.problem.${key}`, { field: t(`away.field.${problem.field}`),
        max: fmtNumber(MAX_CHARACTERS), over: fmtNumber(problem.over ?? 0) }), el);
      return;
    }
    let answer;
    try {
      answer = await api('away-message', { method: 'PUT', body: awayBody(typed, stored.rev) });
    } catch (error) {
      if (error.code === 'concurrent_change') conflicted();
      else {
        const refused = refusedField(error);
        refuse(awayErrorText(error, editable), refused === 'enabled' ? enabled : boxes[refused]);
      }
      return;
    }
    fill(formOf(answer));
    show(answer);
    notice(sentences(t('away.saved'), t(answer.enabled ? 'away.stateOn' : 'away.stateOff')));
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
    const untouched = JSON.stringify(values()) === JSON.stringify(formOf(stored));
    const next = { ...(fresh && untouched ? fresh : stored), business_hours: saved.text ?? null,
      open_now: typeof saved.open_now === 'boolean' ? saved.open_now : null };
    if (fresh && untouched) fill(formOf(next));
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
    fill(draft || formOf(answer));
    draft = null;
    show(answer);
  })();

  return {
    dispose() {
      disposed = true;
      businessHours.dispose();
      // a redraw in place (a language switch) keeps what she was typing; leaving the view drops it
      draft = location.hash.startsWith('#/away') && stored ? values() : null;
    },
  };
}
