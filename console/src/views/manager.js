// The manager view: volume by category over time (stacked; hour or day; time zone; platform) with spikes
// marked, first-response and resolve times p50/p90 per queue, SLA breaches, live model accuracy and the CSV of
// the same range. Every chart has a title, axis titles, a legend, a text summary (the canvas's accessible
// name) and its numbers as a table.
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement,
  Title, Tooltip,
} from 'chart.js';
import { api, features } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import {
  errorText, fmtBucket, fmtDateTime, fmtDuration, fmtNumber, fmtPercent, language, platformName, queueName, t, timeZone,
} from '../i18n.js';
import { session } from '../session.js';
import { MAX_SCORE } from '../survey.js';
import { busy, notice, showError } from '../ui.js';
import { PLATFORMS, QUEUES } from './agent.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement,
  Legend, Title, Tooltip);

// Okabe-Ito: told apart with any colour vision, each at least 3:1 against the white background
const COLORS = { customer_service: '#0072B2', stance: '#D55E00', community: '#009E73' };
const SPIKE_COLOR = '#1a1a1a';
const DAY_MS = 86_400_000;
const PEOPLE_DAYS = 366; // GET /stats/people serves at most this many days from `from` (as /stats by day)

function localToday(tz) {
  // en-CA formats a date as YYYY-MM-DD
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
}

function addDays(day, days) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function defaults() {
  const today = localToday(timeZone());
  return { from: addDays(today, -1), to: today, granularity: 'hour', platform: '' };
}

function loadFilters() {
  try {
    return { ...defaults(), ...JSON.parse(session.get('stats.filters') || '{}') };
  } catch {
    return defaults();
  }
}

// the query the API reads: `to` is exclusive, the form's "to" day is included
function statsQuery(filters) {
  return {
    from: filters.from, to: addDays(filters.to, 1), granularity: filters.granularity, tz: timeZone(),
    platform: filters.platform || null,
  };
}

// The API answers only the buckets that had messages; the charts show every bucket of the range served (up
// to now), so that time runs evenly along the axis. Days start at local midnight in the answer's zone.
const HOUR_MS = 3_600_000;
const wallClocks = new Map();

function offsetMs(instant, tz) {
  if (!wallClocks.has(tz)) {
    wallClocks.set(tz, new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    }));
  }
  const parts = Object.fromEntries(wallClocks.get(tz).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

function nextMidnight(instant, tz) {
  const local = new Date(instant + offsetMs(instant, tz));
  const wall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1);
  const guess = wall - offsetMs(wall, tz);
  return wall - offsetMs(guess, tz); // again from the guess: the offset may change that night (DST)
}

function everyBucket(stats) {
  const byStart = new Map(stats.buckets.map((b) => [Date.parse(b.start), b]));
  const starts = new Set(byStart.keys());
  const end = Math.min(Date.parse(stats.to), Date.now());
  for (let at = Date.parse(stats.from); at < end && starts.size < 10_000;
    at = stats.granularity === 'day' ? nextMidnight(at, stats.tz) : at + HOUR_MS) starts.add(at);
  return [...starts].sort((a, b) => a - b).map((at) => byStart.get(at) || {
    start: new Date(at).toISOString(), messages: {}, total: 0, platforms: {}, needs_review: {}, response_times: {},
  });
}

function durationUnit(seconds) {
  if (seconds >= 2 * 3600) return ['hour', 3600];
  if (seconds >= 120) return ['minute', 60];
  return ['second', 1];
}

// an average rating, "4.3 / 5"; none yet (null: no ratings) is said so, the dash only what the eye sees
function averageRating(average) {
  if (average === null || average === undefined) {
    return h('span', { class: 'no-ratings' }, h('span', { 'aria-hidden': 'true' }, '–'),
      h('span', { class: 'visually-hidden' }, t('stats.noRatings')));
  }
  return t('stats.average', { average: fmtNumber(average, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    max: fmtNumber(MAX_SCORE) });
}

// a share of ratings that were 4 or 5, or the same words as an average when there were none
function satisfiedShare(share) {
  return share === null || share === undefined ? averageRating(null) : fmtPercent(share);
}

// how many ratings of each score, best first: "5: 2 · 4: 1 · 3: 0 · 2: 0 · 1: 0"
function byScore(counts) {
  if (!counts || !Object.values(counts).some(Boolean)) return averageRating(null);
  return Array.from({ length: MAX_SCORE }, (_, index) => MAX_SCORE - index)
    .map((score) => t('stats.scoreCount', { score: fmtNumber(score), n: fmtNumber(counts[score] || 0) }))
    .join(' · ');
}

function table(caption, head, rows) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((cell) => h('th', { scope: 'col' }, cell)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell, index) => (index === 0
      ? h('th', { scope: 'row' }, cell) : h('td', {}, cell)))))));
}

// <figure>: the title, the chart (canvas named by its summary), the numbers as a table
function figure(id, title, summary, dataTable) {
  const canvas = h('canvas', { id: `${id}-canvas`, role: 'img', 'aria-label': `${title}. ${summary}` },
    h('p', {}, summary));
  const node = h('figure', { class: 'chart', id },
    h('figcaption', { class: 'visually-hidden' }, h('h2', {}, title)),
    h('div', { class: 'chart-box' }, canvas),
    h('p', { class: 'summary' }, summary),
    h('details', {}, h('summary', {}, t('chart.table')), dataTable));
  return { node, canvas };
}

function baseOptions(title, xTitle, yTitle) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    locale: language() === 'ja' ? 'ja-JP' : 'en-US',
    interaction: { mode: 'index', intersect: false },
    plugins: {
      title: { display: true, text: title, font: { size: 15 } },
      legend: { display: true, position: 'bottom' },
    },
    scales: {
      x: { title: { display: true, text: xTitle } },
      y: { title: { display: true, text: yTitle }, beginAtZero: true },
    },
  };
}

// a queue's p50 or p90 of one measure in a bucket: time_to_<metric>_<p>_seconds, or <metric>: {<p>...}
function percentile(times, metric, p) {
  if (!times) return null;
  const nested = times[metric];
  if (nested && typeof nested === 'object') return nested[p] ?? nested[`${p}_seconds`] ?? null;
  const found = Object.entries(times).find(([name]) => name.includes(metric) && name.includes(p));
  return found && typeof found[1] === 'number' ? found[1] : null;
}

export function mountManager(container) {
  let filters = loadFilters();
  const charts = [];
  const results = h('div', { class: 'stats-results', id: 'stats-results' });

  const from = h('input', { type: 'date', id: 'stats-from', value: filters.from, required: true });
  const to = h('input', { type: 'date', id: 'stats-to', value: filters.to, required: true });
  const granularity = select([['hour', t('stats.hour')], ['day', t('stats.day')]], filters.granularity,
    { id: 'stats-granularity' });
  const platforms = [...new Set([...PLATFORMS, filters.platform].filter(Boolean))];
  const platform = select([['', t('stats.allPlatforms')], ...platforms.map((p) => [p, platformName(p)])],
    filters.platform, { id: 'stats-platform' });
  const apply = h('button', { type: 'submit', class: 'primary', id: 'stats-apply' }, t('stats.apply'));
  const download = h('button', { type: 'button', class: 'secondary', id: 'stats-csv' }, t('stats.csv'));
  const form = h('form', { novalidate: true, class: 'filters', 'aria-labelledby': 'stats-title' },
    h('h1', { id: 'stats-title' }, t('stats.title')),
    h('div', { class: 'filter-fields' },
      field(t('stats.from'), from), field(t('stats.to'), to), field(t('stats.granularity'), granularity),
      field(t('stats.platform'), platform),
      h('p', { class: 'hint tz-line' }, t('stats.inZone', { tz: timeZone() }))),
    h('div', { class: 'toolbar' }, apply, download));

  function readForm() {
    filters = { from: from.value, to: to.value, granularity: granularity.value, platform: platform.value };
    session.set('stats.filters', JSON.stringify(filters));
  }

  const datesChosen = () => {
    if (!from.value || !to.value) {
      showError(t('stats.datesNeeded'));
      (from.value ? to : from).focus();
      return false;
    }
    if (from.value > to.value) { // ISO dates compare as strings
      showError(t('stats.datesReversed'));
      from.setAttribute('aria-invalid', 'true');
      from.focus();
      return false;
    }
    from.removeAttribute('aria-invalid');
    return true;
  };

  form.addEventListener('submit', busy(apply, async () => {
    if (!datesChosen()) return;
    readForm();
    await load();
  }));

  download.addEventListener('click', busy(download, async () => {
    if (!datesChosen()) return;
    readForm();
    try {
      const response = await api('stats/export.csv', { query: statsQuery(filters), raw: true });
      const blob = new Blob([await response.text()], { type: 'text/csv;charset=utf-8' });
      const link = h('a', {
        href: URL.createObjectURL(blob),
        download: `social-triage-stats-${filters.from}-${filters.to}-${filters.granularity}.csv`,
        class: 'visually-hidden',
      });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      notice(t('stats.downloaded'));
    } catch (error) {
      showError(error);
    }
  }));

  replace(container, h('div', { class: 'manager' }, form, results));

  function destroyCharts() {
    while (charts.length) charts.pop().destroy();
  }

  function spikesByBucket(stats, spikes) {
    // a spike is an hour: it marks the bucket it falls in (its day, with daily buckets)
    const starts = stats.buckets.map((b) => Date.parse(b.start));
    const index = new Map(starts.map((at) => [at, []]));
    for (const spike of spikes) {
      const at = Date.parse(spike.start);
      const owner = starts.filter((start) => start <= at).pop();
      if (owner !== undefined) index.get(owner).push(spike);
    }
    return (bucket) => index.get(Date.parse(bucket.start)) || [];
  }

  function volumeFigure(stats, spikes) {
    const queues = QUEUES;
    const labels = stats.buckets.map((b) => fmtBucket(b.start, stats.granularity));
    const spikesOf = spikesByBucket(stats, spikes);
    const totals = Object.fromEntries(queues.map((q) => [q, stats.buckets.reduce((sum, b) => sum + (b.messages[q] || 0), 0)]));
    const marked = stats.buckets.filter((b) => spikesOf(b).length);
    const total = Object.values(totals).reduce((a, b) => a + b, 0);
    const summary = t('chart.volume.summary', {
      total: fmtNumber(total), count: total,
      parts: queues.map((q) => `${queueName(q)} ${fmtNumber(totals[q])}`).join(', '),
      spikes: fmtNumber(spikes.length),
    });
    const rows = stats.buckets.map((b) => [fmtBucket(b.start, stats.granularity), ...queues.map((q) => fmtNumber(b.messages[q] || 0)),
      fmtNumber(b.total), spikesOf(b).map((s) => t('chart.spike', {
        queue: queueName(s.queue), observed: fmtNumber(s.observed), expected: fmtNumber(s.expected, { maximumFractionDigits: 1 }),
      })).join('; ')]);
    const title = t('chart.volume.title');
    const { node, canvas } = figure('chart-volume', title, summary,
      table(title, [t('axis.time'), ...queues.map(queueName), t('chart.total'), t('chart.spikes')], rows));
    const options = baseOptions(title, t(stats.granularity === 'day' ? 'axis.day' : 'axis.hour'), t('axis.messages'));
    options.scales.x.stacked = true;
    options.scales.y.stacked = true;
    options.scales.y.ticks = { precision: 0 };
    options.plugins.tooltip = { callbacks: { footer: (items) => spikesOf(stats.buckets[items[0].dataIndex])
      .map((s) => t('chart.spike', { queue: queueName(s.queue), observed: fmtNumber(s.observed), expected: fmtNumber(s.expected, { maximumFractionDigits: 1 }) })) } };
    const datasets = queues.map((q) => ({
      type: 'bar', label: queueName(q), data: stats.buckets.map((b) => b.messages[q] || 0),
      backgroundColor: COLORS[q], stack: 'volume',
    }));
    datasets.push({
      type: 'line', label: t('chart.spikeMarker'), data: stats.buckets.map((b) => (spikesOf(b).length ? b.total : null)),
      stack: 'spikes', showLine: false, pointStyle: 'triangle', pointRadius: 9, pointHoverRadius: 11,
      backgroundColor: SPIKE_COLOR, borderColor: SPIKE_COLOR,
    });
    return { node, make: () => new Chart(canvas, { type: 'bar', data: { labels, datasets }, options }), marked };
  }

  function timesFigure(id, stats, metric, title) {
    const queues = QUEUES;
    const labels = stats.buckets.map((b) => fmtBucket(b.start, stats.granularity));
    const value = (b, q, p) => percentile(b.response_times[q], metric, p);
    const all = stats.buckets.flatMap((b) => queues.flatMap((q) => [value(b, q, 'p50'), value(b, q, 'p90')]))
      .filter((v) => v !== null);
    const [unit, divisor] = durationUnit(Math.max(0, ...all));
    const latest = (q, p) => {
      for (let i = stats.buckets.length - 1; i >= 0; i -= 1) {
        const v = value(stats.buckets[i], q, p);
        if (v !== null) return v;
      }
      return null;
    };
    const summary = all.length
      ? t('chart.times.summary', { parts: queues.map((q) => t('chart.times.part', {
        queue: queueName(q),
        p50: latest(q, 'p50') === null ? '—' : fmtDuration(latest(q, 'p50')),
        p90: latest(q, 'p90') === null ? '—' : fmtDuration(latest(q, 'p90')),
      })).join('; ') })
      : t('chart.times.none');
    const rows = stats.buckets.map((b) => [fmtBucket(b.start, stats.granularity),
      ...queues.flatMap((q) => ['p50', 'p90'].map((p) => (value(b, q, p) === null ? '—' : fmtDuration(value(b, q, p)))))]);
    const { node, canvas } = figure(id, title, summary, table(title,
      [t('axis.time'), ...queues.flatMap((q) => [`${queueName(q)} p50`, `${queueName(q)} p90`])], rows));
    const options = baseOptions(title, t(stats.granularity === 'day' ? 'axis.day' : 'axis.hour'), t(`axis.${unit}s`));
    options.spanGaps = true;
    options.plugins.tooltip = { callbacks: { label: (item) => `${item.dataset.label}: ${item.raw === null ? '—' : fmtDuration(item.raw * divisor)}` } };
    const datasets = queues.flatMap((q) => ['p50', 'p90'].map((p) => ({
      label: `${queueName(q)} ${p}`, data: stats.buckets.map((b) => (value(b, q, p) === null ? null : value(b, q, p) / divisor)),
      borderColor: COLORS[q], backgroundColor: COLORS[q], borderDash: p === 'p90' ? [6, 4] : [],
      pointStyle: p === 'p90' ? 'rectRot' : 'circle', pointRadius: 4, spanGaps: true,
    })));
    return { node, make: () => new Chart(canvas, { type: 'line', data: { labels, datasets }, options }) };
  }

  function accuracyFigure(stats) {
    const rows = stats.model_accuracy.by_version;
    const title = t('chart.accuracy.title');
    const labels = [...new Set(rows.map((r) => r.model_version))];
    const queues = QUEUES.filter((q) => rows.some((r) => r.queue === q));
    const summary = rows.length ? t('chart.accuracy.summary', { parts: rows.map((r) => t('chart.accuracy.part', {
      version: r.model_version, queue: queueName(r.queue), share: r.rerouted_share === null ? '—' : fmtPercent(r.rerouted_share),
      rerouted: fmtNumber(r.rerouted), classified: fmtNumber(r.classified),
    })).join('; ') }) : t('chart.accuracy.none');
    const { node, canvas } = figure('chart-accuracy', title, summary, table(title,
      [t('chart.accuracy.version'), t('chart.accuracy.queue'), t('chart.accuracy.classified'), t('chart.accuracy.rerouted'),
        t('chart.accuracy.share'), t('chart.accuracy.review')],
      rows.map((r) => [r.model_version, queueName(r.queue), fmtNumber(r.classified), fmtNumber(r.rerouted),
        r.rerouted_share === null ? '—' : fmtPercent(r.rerouted_share),
        r.needs_review_share === null ? '—' : fmtPercent(r.needs_review_share)])));
    const options = baseOptions(title, t('chart.accuracy.version'), t('chart.accuracy.share'));
    options.scales.y.ticks = { callback: (v) => fmtPercent(v) };
    options.plugins.tooltip = { callbacks: { label: (item) => `${item.dataset.label}: ${item.raw === null ? '—' : fmtPercent(item.raw)}` } };
    const datasets = queues.map((q) => ({
      label: queueName(q), backgroundColor: COLORS[q],
      data: labels.map((v) => rows.find((r) => r.model_version === v && r.queue === q)?.rerouted_share ?? null),
    }));
    return { node, make: () => new Chart(canvas, { type: 'bar', data: { labels, datasets }, options }) };
  }

  function rerouteTable(stats) {
    const matrix = stats.model_accuracy.reroutes || {};
    const title = t('stats.reroutes');
    return h('section', { class: 'panel', 'aria-labelledby': 'reroutes-title' },
      h('h2', { id: 'reroutes-title' }, title),
      h('p', { class: 'hint' }, t('stats.reroutesHint')),
      table(title, [t('stats.fromTo'), ...QUEUES.map(queueName)],
        QUEUES.map((source) => [queueName(source), ...QUEUES.map((target) => (source === target
          ? '—' : fmtNumber((matrix[source] || {})[target] || 0)))])));
  }

  function slaPanel(stats) {
    const late = (s) => s.first_replies_late || 0;
    const breaches = stats.sla.reduce((sum, s) => sum + s.open_past_sla + late(s), 0);
    return h('section', { class: 'panel', 'aria-labelledby': 'sla-title', id: 'sla' },
      h('h2', { id: 'sla-title' }, t('stats.sla')),
      h('p', { class: breaches ? 'breach' : 'hint' }, t(breaches ? 'stats.slaBreaches' : 'stats.slaNone', { n: fmtNumber(breaches), count: breaches })),
      // the API names the schedule when the SLA counts business hours only (SLA_BUSINESS_HOURS)
      stats.sla.some((s) => s.business_hours)
        ? h('p', { class: 'hint', id: 'sla-hours' }, t('stats.slaBusinessHours', { hours: stats.sla.find((s) => s.business_hours).business_hours }))
        : null,
      table(t('stats.sla'), [t('chart.accuracy.queue'), t('stats.slaTarget'), t('stats.slaOpenPast'),
        t('stats.slaLateFirstReplies'), t('stats.awaySent')],
        stats.sla.map((s) => [queueName(s.queue), fmtDuration(s.sla_seconds),
          s.open_past_sla ? h('strong', { class: 'breach' }, fmtNumber(s.open_past_sla)) : fmtNumber(0),
          late(s) ? h('strong', { class: 'breach' }, fmtNumber(late(s))) : fmtNumber(0),
          fmtNumber(s.away_sent || 0)])),
      unheldPastSla(stats));
  }

  // how often in the range a customer waited past the SLA with nobody on the conversation (the sweep's
  // message.sla_breached), under the table: a sixth column would not fit a panel a third of the page wide
  function unheldPastSla(stats) {
    const times = stats.sla.reduce((sum, s) => sum + (s.sla_breaches || 0), 0);
    if (!times) return null;
    const byQueue = stats.sla.filter((s) => s.sla_breaches)
      .map((s) => t('stats.slaBreachedQueue', { queue: queueName(s.queue), n: fmtNumber(s.sla_breaches) }));
    return h('p', { class: 'breach', id: 'sla-breached' },
      t('stats.slaBreachedTimes', { n: fmtNumber(times), count: times, queues: byQueue.join(t('history.separator')) }));
  }

  // the satisfaction survey by queue, once the API counts it (surveys_sent in the SLA rows): a panel of its own beside
  // the SLA's, whose table a panel a third of the page wide cannot widen by four more columns
  function surveyPanel(stats) {
    if (!stats.sla.some((s) => 'surveys_sent' in s)) return null;
    const title = t('stats.surveyTitle');
    return h('section', { class: 'panel', 'aria-labelledby': 'survey-stats-title', id: 'survey-stats' },
      h('h2', { id: 'survey-stats-title' }, title),
      h('p', { class: 'hint' }, t('stats.surveysHint')),
      table(title, [t('chart.accuracy.queue'), t('stats.surveysSent'), t('stats.ratings'), t('stats.ratingAverage'),
        t('stats.satisfiedShare'), t('stats.byScore')],
      stats.sla.map((s) => [queueName(s.queue), fmtNumber(s.surveys_sent || 0), fmtNumber(s.ratings || 0),
        averageRating(s.rating_average), satisfiedShare(s.satisfied_share), byScore(s.ratings_by_score)])));
  }

  function spikeList(spikes) {
    return h('section', { class: 'panel', 'aria-labelledby': 'spikes-title', id: 'spikes' },
      h('h2', { id: 'spikes-title' }, t('stats.spikes')),
      spikes.length ? h('ul', {}, spikes.map((s) => h('li', {}, fmtDateTime(s.start), ' — ', t('chart.spike', {
        queue: queueName(s.queue), observed: fmtNumber(s.observed), expected: fmtNumber(s.expected, { maximumFractionDigits: 1 }),
      })))) : h('p', { class: 'hint' }, t('stats.noSpikes')));
  }

  // what each person resolved and replied in the same range (in the same zone); every queue and platform
  function peoplePanel(answer) {
    const title = t('people.title');
    let body;
    if (answer.error) body = h('p', { class: 'error' }, errorText(answer.error));
    else {
      const days = Math.round((Date.parse(addDays(filters.to, 1)) - Date.parse(filters.from)) / DAY_MS);
      // the ratings' columns once the API counts them (ratings in its rows)
      const rated = answer.people.some((person) => 'ratings' in person);
      body = [
        h('p', { class: 'hint', id: 'people-served' }, t('people.served', {
          from: fmtDateTime(answer.from), to: fmtDateTime(answer.to), tz: answer.tz }),
        days > PEOPLE_DAYS ? ` ${t('people.cut', { n: fmtNumber(PEOPLE_DAYS) })}` : ''),
        answer.people.length ? table(title, [t('people.person'), t('people.role'), t('people.resolved'),
          t('people.replies'), t('people.p50'), t('people.p90'),
          ...(rated ? [t('people.ratings'), t('people.ratingAverage')] : [])], answer.people.map((person) => [
          h('span', { class: person.revoked ? 'revoked' : null, dataset: { key: person.key_id } }, person.name,
            person.revoked ? [' ', h('span', { class: 'badge' }, t('people.revoked'))] : null),
          t(`role.${person.role}`), fmtNumber(person.resolved), fmtNumber(person.replies),
          fmtDuration(person.time_to_resolve_p50_seconds), fmtDuration(person.time_to_resolve_p90_seconds),
          ...(rated ? [fmtNumber(person.ratings || 0), averageRating(person.rating_average)] : [])]))
          : h('p', { class: 'hint', id: 'people-empty' }, t('people.empty')),
      ];
    }
    return h('section', { class: 'panel people', id: 'people', 'aria-labelledby': 'people-title' },
      h('h2', { id: 'people-title' }, title), h('p', { class: 'hint' }, t('people.hint')), body);
  }

  // a slower, older answer must not be drawn over a newer one (the range changed while it was on its way)
  let latestLoad = 0;
  async function load() {
    const query = statsQuery(filters);
    const loadNumber = ++latestLoad;
    let stats;
    let spikes;
    let people = null;
    try {
      const feats = await features();
      // the people table is not the charts: its error is said in its own panel
      const asked = feats.people ? api('stats/people', { query: { from: query.from, to: query.to, tz: query.tz } })
        .catch((error) => ({ error })) : null;
      [stats, { spikes }, people] = await Promise.all([api('stats', { query }), api('stats/spikes', { query }), asked]);
    } catch (error) {
      if (loadNumber === latestLoad) showError(error);
      return;
    }
    if (loadNumber !== latestLoad) return;
    destroyCharts();
    const served = stats;
    stats = { ...served, buckets: everyBucket(served) };
    // the first-reply times arrive with the conversation API; until then the first claim stands in
    const firstReply = stats.buckets.some((b) => Object.values(b.response_times)
      .some((times) => Object.keys(times).some((name) => name.includes('first_reply'))));
    // with a platform chosen every chart is that platform's: the response-time titles name it too
    const times = (title) => (filters.platform ? t('chart.forPlatform', { title, platform: platformName(filters.platform) }) : title);
    const figures = [
      volumeFigure(stats, spikes),
      firstReply
        ? timesFigure('chart-first-reply', stats, 'first_reply', times(t('chart.firstReply.title')))
        : timesFigure('chart-first-reply', stats, 'first_claim', times(t('chart.firstClaim.title'))),
      timesFigure('chart-resolve', stats, 'resolve', times(t('chart.resolve.title'))),
      accuracyFigure(stats),
    ];
    results.dataset.granularity = stats.granularity;
    replace(results,
      h('p', { class: 'served', id: 'stats-served' }, t('stats.served', {
        from: fmtDateTime(stats.from), to: fmtDateTime(stats.to), tz: stats.tz,
        buckets: fmtNumber(served.buckets.length),
      })),
      served.buckets.length ? null : h('p', { class: 'hint' }, t('stats.empty')),
      h('div', { class: 'chart-grid' }, figures.map((f) => f.node)),
      h('div', { class: 'panel-grid' }, slaPanel(stats), spikeList(spikes), rerouteTable(stats), surveyPanel(stats)),
      people ? peoplePanel(people) : null);
    for (const f of figures) charts.push(f.make());
  }

  load();
  return { dispose: destroyCharts };
}
