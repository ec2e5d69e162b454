// Business hours (GET and PUT /business-hours; managers and admins edit them in the Away message view): the weekly
// opening hours in one IANA time zone, with holidays closed all day. SLAs count only open time, and the away message
// is sent outside them. The API's syntax (chalicelib/domain/business_hours.py): rules separated by `;`, each
// `<days> HH:MM-HH:MM`, days `mon`..`sun`, ranges `mon-fri`, lists `sat,sun`; `00:00-24:00` is a whole day.
// The console edits them per day: closed, open all day, or one or two ranges (<input type="time">, where a closing
// time of 00:00 means midnight, 24:00). Kept free of the page (no DOM, no i18n) so that node can run it in
// tests/test_console_business_hours.py.

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const MAX_RANGES = 2; // a day's ranges the editor has room for
export const WHOLE_DAY = [0, 1440];
const RULE = /^([a-z,-]+)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

// "09:30" -> 570; a closing "00:00" or "24:00" -> 1440 (midnight, the day's end); null when it is not a time
export function minutes(text, closing = false) {
  const found = TIME.exec(String(text ?? '').trim());
  if (!found) return null;
  const [hours, mins] = [Number(found[1]), Number(found[2])];
  if (mins > 59 || hours > 24 || (hours === 24 && (mins || !closing))) return null;
  const total = hours * 60 + mins;
  return closing && total === 0 ? 1440 : total;
}

// 570 -> "09:30"; 1440 -> "24:00"
export function clock(total) {
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

// what a time input shows for a closing time: midnight (1440) as 00:00, which the input can hold
function inputClock(total) {
  return total === 1440 ? '00:00' : clock(total);
}

function daysOf(text) {
  const chosen = new Set();
  for (const part of text.split(',')) {
    const [first, last, ...rest] = part.split('-');
    if (rest.length || !DAYS.includes(first) || (last !== undefined && !DAYS.includes(last))) return null;
    const [a, b] = [DAYS.indexOf(first), DAYS.indexOf(last ?? first)];
    for (let d = a; ; d = (d + 1) % 7) { // fri-mon wraps, as the API reads it
      chosen.add(d);
      if (d === b) break;
    }
  }
  return chosen;
}

// overlapping (or touching) ranges of one day as one, as the API counts them
function merged(ranges) {
  const out = [];
  for (const [start, end] of [...ranges].sort((x, y) => x[0] - y[0] || x[1] - y[1])) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

// an `hours` string -> each weekday's open ranges in minutes ([[540, 1080]], Monday first), or null when it does not
// read as the API's syntax (the API is the judge; this only has to read what it answers)
export function weekly(hours) {
  const week = DAYS.map(() => []);
  const rules = String(hours ?? '').split(';').map((rule) => rule.trim().toLowerCase()).filter(Boolean);
  if (!rules.length) return null;
  for (const rule of rules) {
    const found = RULE.exec(rule);
    if (!found) return null;
    const days = daysOf(found[1]);
    const opens = minutes(`${found[2]}:${found[3]}`);
    const closes = found[4] === '00' && found[5] === '00' ? null : minutes(`${found[4]}:${found[5]}`, true);
    if (!days || opens === null || closes === null || closes <= opens) return null;
    for (const d of days) week[d].push([opens, closes]);
  }
  return week.map(merged);
}

// the editor's form for one day from its ranges: {mode: 'closed'|'allDay'|'hours', ranges: [{from, to}, {from, to}]}
function dayForm(ranges) {
  const blank = { from: '', to: '' };
  if (!ranges.length) return { mode: 'closed', ranges: [{ from: '09:00', to: '18:00' }, blank] };
  if (ranges.length === 1 && ranges[0][0] === 0 && ranges[0][1] === 1440) {
    return { mode: 'allDay', ranges: [{ from: '09:00', to: '18:00' }, blank] };
  }
  const shown = ranges.slice(0, MAX_RANGES).map(([a, b]) => ({ from: clock(a), to: inputClock(b) }));
  while (shown.length < MAX_RANGES) shown.push(blank);
  return { mode: 'hours', ranges: shown };
}

// GET or PUT /business-hours' answer -> the editor's form: {none, days: [7 day forms], timezone, holidays, fits}.
// `fits`: false when a day has more ranges than the editor has room for (it shows the first two) or the hours do
// not read; without hours the days start as mon-fri 09:00-18:00, a place to begin
export function hoursForm(answer) {
  const hours = typeof answer?.hours === 'string' && answer.hours.trim() ? answer.hours : null;
  const week = hours ? weekly(hours) : null;
  const days = (week || weekly('mon-fri 09:00-18:00')).map(dayForm);
  return {
    none: !hours,
    days,
    timezone: typeof answer?.timezone === 'string' && answer.timezone ? answer.timezone : 'UTC',
    holidays: Array.isArray(answer?.holidays) ? answer.holidays.filter((d) => typeof d === 'string') : [],
    fits: !hours || (week !== null && week.every((ranges) => ranges.length <= MAX_RANGES)),
  };
}

// one day of the form -> its ranges in minutes, or {problem, range} saying why it cannot be
function dayRanges(day) {
  if (day.mode === 'closed') return { ranges: [] };
  if (day.mode === 'allDay') return { ranges: [WHOLE_DAY] };
  const ranges = [];
  for (const [index, range] of (day.ranges || []).slice(0, MAX_RANGES).entries()) {
    const [from, to] = [String(range?.from ?? '').trim(), String(range?.to ?? '').trim()];
    if (!from && !to && index > 0) continue; // the second range left empty: one range that day
    if (!from || !to) return { problem: 'rangeIncomplete', range: index };
    const [opens, closes] = [minutes(from), minutes(to, true)];
    if (opens === null || closes === null) return { problem: 'rangeIncomplete', range: index };
    if (closes <= opens) return { problem: 'closesBeforeOpens', range: index };
    ranges.push([opens, closes]);
  }
  if (!ranges.length) return { problem: 'rangeIncomplete', range: 0 };
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i][0] < sorted[i - 1][1]) return { problem: 'rangesOverlap', range: ranges.indexOf(sorted[i]) };
  }
  return { ranges: sorted };
}

// a set of weekdays (indexes, Monday 0) as the API writes them: runs of three or more as `mon-fri`, others listed
export function dayList(indexes) {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const runs = [];
  for (const d of sorted) {
    const run = runs[runs.length - 1];
    if (run && d === run[run.length - 1] + 1) run.push(d);
    else runs.push([d]);
  }
  return runs.flatMap((run) => (run.length >= 3 ? [`${DAYS[run[0]]}-${DAYS[run[run.length - 1]]}`]
    : run.map((d) => DAYS[d]))).join(',');
}

// each weekday's ranges -> days with the same ranges together, in the week's order: [{days: [0..4], ranges}]
export function groups(week) {
  const out = [];
  week.forEach((ranges, d) => {
    if (!ranges.length) return;
    const key = JSON.stringify(ranges);
    const same = out.find((group) => JSON.stringify(group.ranges) === key);
    if (same) same.days.push(d);
    else out.push({ days: [d], ranges });
  });
  return out;
}

// each weekday's ranges -> the `hours` string: "mon-fri 09:00-18:00; sat 10:00-14:00" (a day with two ranges is
// two rules); null when no day is open
export function hoursText(week) {
  const rules = groups(week).flatMap(({ days, ranges }) =>
    ranges.map(([a, b]) => `${dayList(days)} ${clock(a)}-${clock(b)}`));
  return rules.length ? rules.join('; ') : null;
}

// why the form may not be saved as it is, before asking the API: {problem, day?, range?, holiday?}, or null
export function hoursProblem(form) {
  if (!form.none) {
    let open = false;
    for (const [day, entry] of form.days.entries()) {
      const read = dayRanges(entry);
      if (read.problem) return { problem: read.problem, day, range: read.range };
      open ||= read.ranges.length > 0;
    }
    if (!open) return { problem: 'noDayOpen', day: 0 };
  }
  if (!String(form.timezone ?? '').trim()) return { problem: 'timezoneNeeded' };
  for (const [index, holiday] of (form.holidays || []).entries()) {
    const text = String(holiday ?? '').trim();
    if (text && !(DATE.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`)))) {
      return { problem: 'badDate', holiday: index };
    }
  }
  return null;
}

// the holidays as sent: blanks left out, each once, in order
export function holidayList(holidays) {
  return [...new Set((holidays || []).map((d) => String(d ?? '').trim()).filter(Boolean))].sort();
}

// what the form holds -> PUT /business-hours' body at the revision read (check hoursProblem first)
export function hoursBody(form, rev) {
  const week = form.days.map((day) => dayRanges(day).ranges || []);
  return {
    hours: form.none ? null : hoursText(week),
    timezone: String(form.timezone ?? '').trim(),
    holidays: holidayList(form.holidays),
    rev,
  };
}
