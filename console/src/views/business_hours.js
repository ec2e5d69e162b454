// The Business hours section of the Away message view (managers, admins; GET and PUT /business-hours): the schedule
// in words, where it comes from (saved here, the operator's default, none) and whether it is open now, and its
// editor: each weekday closed, open all day or one or two ranges, the time zone, the holidays, or no business hours
// at all (every hour counts). Saving sends the revision read: someone else's save meanwhile (409) is said, and the
// current ones can be loaded without losing what was typed. The away message below depends on them: after a save
// the view re-reads it (`onSaved`).
import { api } from '../api.js';
import { h, replace, withNode } from '../dom.js';
import { errorText, language, locale, sentences, t, timeTag, timeZones } from '../i18n.js';
import { actorName } from '../actors.js';
import { DAYS, MAX_RANGES, groups, hoursBody, hoursForm, hoursProblem, weekly } from '../business_hours.js';
import { busy, notice, offerTheCurrentOne, offerToPutBack } from '../ui.js';

// what the form held when the view was redrawn (a language switch): survives that, not leaving the view
let draft = null;

// a weekday's name in the chosen language (Monday 0): 2024-01-01 was a Monday
function dayName(d, style = 'long') {
  return new Intl.DateTimeFormat(locale(), { weekday: style, timeZone: 'UTC' })
    .format(new Date(Date.UTC(2024, 0, 1 + d)));
}

// "2026-12-31" -> "Dec 31, 2026" in the chosen language (a local date: no time zone moves it)
function fmtDate(text) {
  const at = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(at.getTime()) ? text
    : new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(at);
}



// the schedule in words, per group of days: "Monday to Friday: 09:00–18:00",
// "Saturday: 10:00–14:00 and 15:00–17:00"
export function scheduleLines(hours) {
  const week = weekly(hours);
  if (!week) return [hours];
  const sep = language() === 'ja' ? '、' : ', ';
  return groups(week).map(({ days, ranges }) => {
    const runs = [];
    for (const d of days) {
      const run = runs[runs.length - 1];
      if (run && d === run[run.length - 1] + 1) run.push(d);
      else runs.push([d]);
    }
    const named = runs.flatMap((run) => (run.length >= 3
      ? [t('hours.dayRun', { first: dayName(run[0]), last: dayName(run[run.length - 1]) })]
      : run.map((d) => dayName(d)))).join(sep);
    const times = ranges.map(([a, b]) => (a === 0 && b === 1440 ? t('hours.allDayWords')
      : `${clock(a)}–${clock(b)}`)).join(t('hours.and'));
    return t('hours.line', { days: named, times });
  });
}

function clock(total) {
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

export function businessHoursSection({ onSaved }) {
  let stored = null; // the business hours as the API last answered them

  const summary = h('div', { class: 'hours-summary', id: 'hours-summary', 'aria-live': 'polite' });
  const formError = h('p', { class: 'error', role: 'alert', id: 'hours-error' });
  const conflict = h('div', { class: 'warning away-conflict', id: 'hours-conflict', role: 'alert', hidden: true });
  const notFits = h('p', { class: 'warning', id: 'hours-not-fits', hidden: true }, t('hours.notFits'));
  const submit = h('button', { type: 'submit', class: 'primary', id: 'hours-save' }, t('hours.save'));

  const someHours = h('input', { type: 'radio', name: 'hours-kind', id: 'hours-some', value: 'some' });
  const noHours = h('input', { type: 'radio', name: 'hours-kind', id: 'hours-none', value: 'none' });

  // the days: a select each (closed, all day, these hours) and two ranges of time inputs
  const dayRows = DAYS.map((code, d) => {
    const mode = h('select', { id: `hours-${code}-mode`, 'aria-label': t('hours.dayMode', { day: dayName(d) }) },
      h('option', { value: 'closed' }, t('hours.closed')),
      h('option', { value: 'allDay' }, t('hours.allDay')),
      h('option', { value: 'hours' }, t('hours.openHours')));
    const ranges = Array.from({ length: MAX_RANGES }, (_, r) => ({
      from: h('input', { type: 'time', id: `hours-${code}-${r}-from`, step: 60,
        'aria-label': t(r ? 'hours.opensAgain' : 'hours.opens', { day: dayName(d) }) }),
      to: h('input', { type: 'time', id: `hours-${code}-${r}-to`, step: 60,
        'aria-label': t(r ? 'hours.closesAgain' : 'hours.closes', { day: dayName(d) }),
        'aria-describedby': 'hours-midnight-hint' }),
    }));
    const times = h('span', { class: 'hours-times' }, ranges.map((range, r) => h('span', { class: 'hours-range' },
      r ? h('span', { class: 'hours-and' }, t('hours.andAlso')) : null, range.from, ' – ', range.to)));
    const row = h('tr', {}, h('th', { scope: 'row' }, dayName(d)), h('td', {}, mode), h('td', {}, times));
    const sync = () => {
      times.hidden = mode.value !== 'hours';
    };
    mode.addEventListener('change', sync);
    return { code, mode, ranges, row, sync };
  });

  const zone = h('select', { id: 'hours-timezone' });
  const holidayList = h('ul', { class: 'hours-holidays', id: 'hours-holidays' });
  const addHoliday = h('button', { type: 'button', class: 'secondary', id: 'hours-add-holiday' },
    t('hours.addHoliday'));

  function holidayRow(value = '') {
    const input = h('input', { type: 'date', class: 'hours-holiday', value });
    const row = h('li', {}, input);
    const remove = h('button', { type: 'button', class: 'secondary hours-remove-holiday' }, t('hours.removeHoliday'));
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      relabel();
      (next?.querySelector('input') || addHoliday).focus();
    });
    row.append(' ', remove);
    return row;
  }

  // each date and its remove button say which holiday they are (the first, the second...)
  function relabel() {
    [...holidayList.children].forEach((row, i) => {
      row.querySelector('input').setAttribute('aria-label', t('hours.holidayN', { n: i + 1 }));
      row.querySelector('button').setAttribute('aria-label', t('hours.removeHolidayN', { n: i + 1 }));
    });
  }

  addHoliday.addEventListener('click', () => {
    const row = holidayRow();
    holidayList.append(row);
    relabel();
    row.querySelector('input').focus();
  });

  const editor = h('div', { id: 'hours-editor' },
    h('table', { class: 'hours-days', id: 'hours-days' },
      h('caption', { class: 'visually-hidden' }, t('hours.daysCaption')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('hours.day')), h('th', { scope: 'col' }, t('hours.open')),
        h('th', { scope: 'col' }, t('hours.times')))),
      h('tbody', {}, dayRows.map((row) => row.row))),
    h('p', { class: 'hint', id: 'hours-midnight-hint' }, t('hours.midnightHint')),
    h('div', { class: 'field' }, h('label', { for: zone.id }, t('hours.timezone')), zone),
    h('fieldset', { class: 'hours-holidays-field', 'aria-describedby': 'hours-holidays-hint' },
      h('legend', {}, t('hours.holidays')),
      h('p', { class: 'hint', id: 'hours-holidays-hint' }, t('hours.holidaysHint')),
      holidayList, addHoliday));

  const form = h('form', { novalidate: true, class: 'panel away-form hours-form', id: 'hours-form', hidden: true,
    'aria-labelledby': 'hours-title' },
  h('h2', { id: 'hours-title', tabindex: '-1' }, t('hours.title')),
  h('p', { class: 'hint' }, t('hours.intro')),
  summary,
  h('h3', {}, t('hours.edit')),
  formError, conflict, notFits,
  h('fieldset', { class: 'hours-kind' }, h('legend', {}, t('hours.kind')),
    h('label', { class: 'check', for: someHours.id }, someHours, ' ', t('hours.some')),
    h('label', { class: 'check', for: noHours.id }, noHours, ' ', t('hours.none'))),
  editor,
  h('div', { class: 'toolbar' }, submit));

  const syncKind = () => {
    editor.hidden = noHours.checked;
  };
  someHours.addEventListener('change', syncKind);
  noHours.addEventListener('change', syncKind);

  function values() {
    return {
      none: noHours.checked,
      days: dayRows.map(({ mode, ranges }) => ({
        mode: mode.value, ranges: ranges.map(({ from, to }) => ({ from: from.value, to: to.value })),
      })),
      timezone: zone.value,
      holidays: [...holidayList.querySelectorAll('input')].map((input) => input.value),
    };
  }

  function fill(values) {
    someHours.checked = !values.none;
    noHours.checked = values.none;
    values.days.forEach((day, d) => {
      dayRows[d].mode.value = day.mode;
      day.ranges.forEach((range, r) => {
        dayRows[d].ranges[r].from.value = range.from;
        dayRows[d].ranges[r].to.value = range.to;
      });
      dayRows[d].sync();
    });
    const zones = [...new Set([values.timezone, ...timeZones()].filter(Boolean))];
    replace(zone, zones.map((name) => h('option', { value: name, selected: name === values.timezone }, name)));
    replace(holidayList, values.holidays.map((d) => holidayRow(d)));
    relabel();
    notFits.hidden = values.fits !== false;
    syncKind();
  }

  // what is stored: the schedule in words, where it comes from, open or closed now, the holidays
  function show(answer) {
    stored = answer;
    const openNow = typeof answer.open_now === 'boolean'
      ? h('span', { class: ['badge', answer.open_now ? 'badge-open' : 'badge-closed'], id: 'hours-open-now' },
        t(answer.open_now ? 'away.openNow' : 'away.closedNow')) : null;
    const source = answer.source === 'saved'
      ? h('span', { title: answer.updated_by || null }, withNode(
        t('hours.source.saved', { who: actorName(answer.updated_by) }), '{at}', timeTag(answer.updated_at)))
      : t(answer.source === 'operator' ? 'hours.source.operator' : 'hours.source.none');
    const holidays = answer.hours && answer.holidays?.length
      ? h('p', { id: 'hours-closed-on' }, t('hours.closedOn', { dates: answer.holidays.map(fmtDate)
        .join(language() === 'ja' ? '、' : ', ') })) : null;
    replace(summary,
      answer.hours
        ? [h('p', {}, h('span', { id: 'hours-text' }, t('hours.current', { zone: answer.timezone })), ' ', openNow),
          h('ul', { class: 'hours-lines', id: 'hours-lines' },
            scheduleLines(answer.hours).map((line) => h('li', {}, line))),
          holidays]
        : h('p', { id: 'hours-none-set' }, t('hours.noneSet')),
      h('p', { class: 'hint', id: 'hours-source' }, source));
  }

  function clearErrors() {
    replace(formError);
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  function refuse(text, el) {
    replace(formError, text);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
    }
  }

  // the control a problem found before sending is about
  function problemField(problem) {
    if (problem.problem === 'timezoneNeeded') return zone;
    if (problem.problem === 'badDate') return holidayList.querySelectorAll('input')[problem.holiday];
    const row = dayRows[problem.day ?? 0];
    if (problem.problem === 'noDayOpen') return row.mode;
    const range = row.ranges[problem.range ?? 0];
    return range.from.value ? range.to : range.from;
  }

  // someone saved meanwhile: said; what she typed stays until she loads theirs, and can be put back after that
  function conflicted() {
    const typed = { ...values(), fits: true };
    offerTheCurrentOne(conflict, {
      id: 'hours-load-current', said: t('hours.changedMeanwhile'), label: t('hours.loadCurrent'),
      read: () => api('business-hours'),
      loaded: (current) => {
        fill(hoursForm(current));
        show(current);
        offerToPutBack(conflict, {
          id: 'hours-put-back', said: t('hours.loadedCurrent'), label: t('hours.putBack'),
          putBack: () => {
            fill(typed);
            (typed.none ? noHours : dayRows[0].mode).focus();
          },
        });
      },
    });
  }

  form.addEventListener('submit', busy(submit, async () => {
    clearErrors();
    conflict.hidden = true;
    const typed = values();
    const problem = hoursProblem(typed);
    if (problem) {
      refuse(t(`hours.problem.${problem.problem}`, { day: dayName(problem.day ?? 0),
        n: (problem.holiday ?? 0) + 1 }), problemField(problem));
      return;
    }
    let answer;
    try {
      answer = await api('business-hours', { method: 'PUT', body: hoursBody(typed, stored.rev) });
    } catch (error) {
      if (error.code === 'concurrent_change') conflicted();
      else if (['invalid_business_hours', 'invalid_request'].includes(error.code)) {
        refuse(t('hours.error.invalid', { message: error.message || '' }), null);
      } else refuse(errorText(error), null);
      return;
    }
    fill(hoursForm(answer));
    show(answer);
    notice(sentences(t('hours.saved'), answer.text ? t('hours.savedApply') : t('hours.savedNone')));
    await onSaved(answer);
  }));

  return {
    element: form,
    // shows what GET /business-hours answered (what she was typing when the view was redrawn, if anything)
    load(answer) {
      form.hidden = false;
      fill(draft || hoursForm(answer));
      draft = null;
      show(answer);
    },
    dispose() {
      draft = location.hash.startsWith('#/away') && stored && !form.hidden ? { ...values(), fits: true } : null;
    },
  };
}
