// English and Japanese: every word the console shows, the API's errors by code, and numbers, dates and
// durations through Intl in the chosen language and time zone. The language defaults to the browser's.
import { h } from './dom.js';
import { prefs } from './session.js';
import { MESSAGES } from './messages.js';

export const LANGUAGES = ['en', 'ja'];
const LOCALES = { en: 'en-US', ja: 'ja-JP' };

function browserLanguage() {
  const wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en']);
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

let current = LANGUAGES.includes(prefs.get('lang')) ? prefs.get('lang') : browserLanguage();
let zone = prefs.get('tz') || browserZone();

export function language() {
  return current;
}

export function locale() {
  return LOCALES[current];
}

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  prefs.set('lang', lang);
}

export function timeZone() {
  return zone;
}

export function setTimeZone(name) {
  zone = name;
  prefs.set('tz', name);
}

export function timeZones() {
  let names = [];
  try {
    names = Intl.supportedValuesOf('timeZone');
  } catch { /* an older browser: the common ones */
    names = ['Asia/Tokyo', 'Europe/London', 'America/New_York', 'America/Los_Angeles'];
  }
  return [...new Set(['UTC', zone, ...names])];
}

export function has(key) {
  return key in MESSAGES[current] || key in MESSAGES.en;
}

// the plural form of `key` for params.count ("key.one" where the language has one, else the key itself)
function pluralKey(key, params) {
  if (typeof params.count !== 'number') return key;
  const form = `${key}.${new Intl.PluralRules(locale()).select(params.count)}`;
  return form in MESSAGES[current] || (!(key in MESSAGES[current]) && form in MESSAGES.en) ? form : key;
}

// t('claim.done', {who}) -> the message with {who} filled in; `fallback` when the key is unknown.
// With a numeric params.count, the plural form ("key.one") is used where the language has one.
export function t(key, params = {}, fallback = undefined) {
  key = pluralKey(key, params);
  let text = MESSAGES[current][key] ?? MESSAGES.en[key];
  if (text === undefined) text = fallback !== undefined ? fallback : key;
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// numbers and dates ----------------------------------------------------------------------------------

export function fmtNumber(value, options = {}) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return new Intl.NumberFormat(locale(), options).format(value);
}

export function fmtPercent(share) {
  if (share === null || share === undefined) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(share);
}

export function fmtDateTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(date);
}

// a stats bucket's start (already in the chosen zone): "12/2, 1 PM" / "12/2 13時"; days: "Wed, Dec 2"
export function fmtBucket(iso, granularity) {
  const date = new Date(iso);
  const options = granularity === 'day'
    ? { weekday: 'short', month: 'short', day: 'numeric', timeZone: zone }
    : { month: 'numeric', day: 'numeric', hour: 'numeric', timeZone: zone };
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

export function timeTag(iso) {
  if (!iso) return '—';
  return h('time', { datetime: iso }, fmtDateTime(iso));
}

// 42 s, 15 min, 3.5 hr, 2 days (ja: 42 秒, 15 分, 3.5 時間, 2 日)
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const [unit, size] = seconds < 60 ? ['second', 1] : seconds < 3600 ? ['minute', 60]
    : seconds < 48 * 3600 ? ['hour', 3600] : ['day', 86400];
  return new Intl.NumberFormat(locale(), {
    style: 'unit', unit, unitDisplay: current === 'ja' ? 'short' : 'long', maximumFractionDigits: unit === 'second' || unit === 'minute' ? 0 : 1,
  }).format(seconds / size);
}

// the lease's time left: 14:05 or 1:02:09
export function fmtCountdown(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const two = (n) => String(n).padStart(2, '0');
  const [hours, minutes, secs] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  return hours ? `${hours}:${two(minutes)}:${two(secs)}` : `${minutes}:${two(secs)}`;
}

// the API's words ------------------------------------------------------------------------------------

export const queueName = (queue) => t(`queue.${queue}`, {}, queue || '—');
export const statusName = (status) => t(`status.${status}`, {}, status);
// a status inside a sentence ("No open conversations"), where English does not capitalise it
export const statusWord = (status) => t(`statusWord.${status}`, {}, statusName(status));
export const channelName = (channel) => t(`channel.${channel}`, {}, channel || '—');
export const platformName = (platform) => t(`platform.${platform}`, {}, platform || '—');
export const eventName = (event) => t(`event.${event}`, {}, event);

// priority reasons: channel:<channel>, queue:<queue>, urgent:<kind>, negative_tone, repeated_contact, rule:<name> (a
// routing rule that matched; its name may hold a colon)
export function reasonText(reason) {
  const [kind, detail] = String(reason).split(':');
  if (kind === 'rule') return t('reason.rule', { name: String(reason).slice('rule:'.length) });
  if (kind === 'channel') return t('reason.channel', { channel: channelName(detail) });
  if (kind === 'queue') return t('reason.queue', { queue: queueName(detail) });
  if (kind === 'urgent') return t('reason.urgent', { kind: t(`urgent.${detail}`, {}, detail) });
  return t(`reason.${reason}`, {}, reason);
}

// an API error in words, in the user's language (the API's own message is English, for developers)
export function errorText(error) {
  if (!error) return '';
  if (typeof error === 'string') return error;
  const code = error.code || '';
  if (has(`error.${code}`)) return t(`error.${code}`, { seconds: error.retryAfter ?? '' });
  if (error.status && has(`error.status${error.status}`)) return t(`error.status${error.status}`, { code });
  return t('error.unknown', { code: code || error.status || '?' });
}

// sentences one after another: a space between them in English, none in Japanese (after 。); empty ones left out
export function sentences(...parts) {
  return parts.filter(Boolean).join(current === 'ja' ? '' : ' ');
}

// a block's or an unblock's refusal in words (POST /blocks, DELETE /blocks): where a reply's words would mislead
// ("it will not be sent twice"), those of the ban on the platform, saying what did not happen (`lifting`: the unblock
// of a block banned there, which stays as it was); the platform's own words first ("…telegram"), then the code's; the
// rest as any other error
export function blockErrorText(error, platform, lifting = false) {
  const code = error?.code === 'platform_rate_limited' && error.retryAfter ? 'platform_rate_limited_for' : error?.code;
  const key = [`block.error.${code}.${platform}`, `block.error.${code}`].find((name) => code && has(name));
  if (!key) return errorText(error);
  return t(key, { platform: platformName(platform), seconds: fmtNumber(error.retryAfter),
    outcome: t(lifting ? 'block.error.notUnblocked' : 'block.error.notBlocked') });
}
