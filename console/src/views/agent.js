// The agent view: queues with their depth, the selected queue in priority order, "claim next" (button and the
// N key), and the conversation being worked: every message, the triage and its deciding terms, history,
// reply, resolve, release, snooze, re-route, reopen, hide / unhide / delete a customer's comment on its platform, block
// or unblock a customer (managers), erase or download a customer's personal data (admins), the lease's remaining time
// and a clear message when it is lost.
// What the agent types is kept per tab (sessionStorage), so a refresh loses nothing.
import { api, features, seg } from '../api.js';
import { automaticKind } from '../automatic_texts.js';
import {
  BLOCKED, DURATIONS, MAX_REASON as MAX_BLOCK_REASON, activeBlock, bannedOnPlatform, blockBody, blockable,
  canBanOnPlatform, durationDays, durationValue, isHeldBack, platformBan,
} from '../blocks.js';
import { add, field, h, replace, select, uid, withNode } from '../dom.js';
import {
  blockErrorText, channelName, errorText, eventName, fmtCountdown, fmtDateTime, fmtDuration, fmtNumber, fmtPercent, has, platformName,
  queueName, reasonText, sentences, statusName, statusWord, t, timeTag,
} from '../i18n.js';
import {
  CLOSED_BY_ERASURE, MAX_PAGES, MAX_REASON, REASONS, UNKNOWN_AUTHOR, dataDocument, dataFileName, eraseAll, erasedKey,
  isErased, readAll,
} from '../erasure.js';
import { moderationActions } from '../moderation.js';
import { measure, remaining } from '../reply_limits.js';
import { routedBy } from '../rules.js';
import { session } from '../session.js';
import { MAX_SCORE, ratingOf, stars } from '../survey.js';
import { MAX_TAGS, foldTag, parseTags, validTag } from '../tags.js';
import { templateOf } from '../templates.js';
import { actorKeyId, forgetTeam, loadTeam, worksQueue } from '../team.js';
import { busy, notice, showError } from '../ui.js';
import { templateReplyView } from './template_reply.js';

export const QUEUES = ['customer_service', 'stance', 'community'];
const FOLLOW_MS = 15_000;
export const PLATFORMS = ['facebook', 'instagram', 'messenger', 'whatsapp', 'x', 'telegram', 'linkedin', 'tiktok', 'youtube'];
const STATUSES = ['open', 'claimed', 'snoozed', 'resolved'];
const ASSIGNABLE = ['open', 'claimed', 'snoozed']; // a manager may hand these to someone (POST .../assign)
const MINE = 'mine'; // "Yours": what the agent holds, in every queue (GET /me/conversations)
const LANGUAGES = ['en', 'ja', 'other'];
const MAX_RATINGS = ['1', '2', '3', '4']; // the rating filter's choices: rated at most this in the satisfaction survey
const SNOOZES = [15 * 60, 60 * 60, 4 * 60 * 60, 24 * 60 * 60, 7 * 24 * 60 * 60];
const LEASE_SECONDS = 900;
const PAGE = 25;
const MAX_REPLY = 4000; // the API's longest reply; each platform's own limit may be shorter
// a bulk reply's outcomes that sending again (under the same idempotency key) may still get done
const RESENDABLE = ['not_attempted', 'platform_rate_limited', 'platform_unavailable'];
const PENDING_BULK_REPLY = 'pendingBulkReply';
const SNIPPET = 180;
const timeOf = (value) => String(Date.parse(value) || 0); // a timeline entry's place (data-at), in ms

export function authorName(item) {
  const author = item.author || {};
  if (!author.name && !author.handle && isErased(item)) return t('erasure.erasedCustomer'); // their name went too
  return author.name || (author.handle ? `@${author.handle}` : '') || author.id || t('author.unknown');
}

// with the conversation API the listing's items are conversations, named by their first message's id
function conversationId(item) {
  if (item.conversation && typeof item.conversation === 'object' && item.conversation.id) return item.conversation.id;
  if (typeof item.conversation === 'string') return item.conversation;
  return item.id; // a conversation is named by its first message (conversation_id is the platform's thread)
}

function mine(item) {
  return item.status === 'claimed' && (item.claimed_by || '').endsWith(`(${session.keyId()})`);
}

// what "Take" may claim: open, snoozed (woken early) or a lease that has run out, never one held by another
function takeable(item) {
  if (mine(item)) return false;
  if (item.status === 'open' || item.status === 'snoozed') return true;
  return item.status === 'claimed' && !!item.lease_expires_at && Date.parse(item.lease_expires_at) <= Date.now();
}

function leaseLost(error) {
  return error.code === 'not_claim_holder' || error.code === 'lease_lost'
    || (error.status === 409 && !['same_queue', 'own_key', 'private_reply_already_sent'].includes(error.code));
}

function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// one idempotency key per attempt, kept (per tab) until the API accepts it: a double click, a retry after a
// timeout or a refresh sends the same key again, so the API acts once. `prefix` says what kind of key it is (a bulk
// reply's) to whoever reads the stored replies.
function pendingAttempt(name, text, privately = false, prefix = '') {
  let pending = null;
  try {
    pending = JSON.parse(session.get(name) || 'null');
  } catch { /* a damaged entry: a new attempt */ }
  // the same text sent privately instead (or back) is another reply: a new key
  if (!pending || pending.text !== text || Boolean(pending.private) !== privately) {
    pending = { text, private: privately, key: `${prefix}${newIdempotencyKey()}` };
  }
  session.set(name, JSON.stringify(pending));
  return pending;
}

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

// history entries in words: queues by name, times in the chosen zone, confidence as a percentage
function historyValue(name, value) {
  if (['queue', 'category', 'from', 'to'].includes(name) && QUEUES.includes(value)) return queueName(value);
  if (name === 'confidence' && typeof value === 'number') return fmtPercent(value);
  if (name === 'sla_seconds' && typeof value === 'number') return fmtDuration(value);
  if (name === 'previous_status' && typeof value === 'string') return statusName(value);
  if (['lease_expires_at', 'until', 'snoozed_until'].includes(name) && typeof value === 'string') return fmtDateTime(value);
  if (name === 'reason' && value === 'auto_resolved') return t('history.autoResolved');
  if (name === 'reason' && REASONS.includes(value)) return t(`erasure.reasonName.${value}`); // an `erased` entry's
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// one detail of a history entry: "reason: …"; a conversation closed by an erasure says so in a sentence of its own
function historyDetail(event, name, value) {
  if (event === 'resolved' && name === 'reason' && value === CLOSED_BY_ERASURE) return t('history.closedByErasure');
  return `${t(`history.${name}`, {}, name)}: ${historyValue(name, value)}`;
}

// "agent:Aiko (0a1b63147c8b155f)" -> "Aiko"; the system's actors by what they are
function actorName(actor) {
  const [kind, ...rest] = String(actor || '').split(':');
  const name = rest.join(':').replace(/\s*\([0-9a-f]{16}\)$/, '');
  if (['agent', 'manager', 'admin'].includes(kind) && name) return name;
  if (kind === 'platform' && name) return platformName(name);
  if (kind === 'model' && name === 'second-opinion') return t('actor.secondOpinion');
  return t(`actor.${kind}`, {}, actor || '');
}

// what an erased message, reply or note shows instead of its text (never an empty bubble): why, by whom, when. A
// message its author deleted on the platform says so; the platform is who did it.
function erasedWords(item) {
  const { reason, by, by_name: byName, at } = item.erased;
  const who = reason === 'deleted_on_platform' ? '' : byName || actorName(by);
  return [t(erasedKey(item.erased), { platform: platformName(item.platform) }), who ? ` · ${who}` : '',
    at ? [' · ', timeTag(at)] : null];
}

// an item's text, or in its place the words saying it was erased (dimmed, set apart from anything a customer wrote)
function textOf(item, tag = 'p', cls = 'text', shown = item.text || '') {
  if (isErased(item)) return h(tag, { class: [cls, 'erased'], title: item.erased.by || null }, erasedWords(item));
  return h(tag, { class: cls }, shown);
}

// a moderation's refusal in words: where a reply's words would mislead ("the reply will not be sent twice"), the
// moderation's own; the rest as any other error
function moderationErrorText(error) {
  const code = error.code === 'platform_rate_limited' && error.retryAfter ? 'platform_rate_limited_for' : error.code;
  return has(`moderation.error.${code}`) ? t(`moderation.error.${code}`, { seconds: fmtNumber(error.retryAfter) })
    : errorText(error);
}

// a bulk reply's refusal in words that say the customer was not answered (a single reply's would mislead: "this
// conversation changed in the meantime"); the rest as any other error
function bulkReplyErrorText(error) {
  return has(`bulk.replyError.${error.code}`) ? t(`bulk.replyError.${error.code}`) : errorText(error);
}

// an erasure's refusal in words: its own where the API gave one, the rest as any other error
function erasureErrorText(error) {
  return has(`erasure.error.${error.code}`) ? t(`erasure.error.${error.code}`) : errorText(error);
}

// a `tagged` history entry as a sentence: "Cy added tags refund, vip", "Cy removed the tag spam"
function taggedText(entry) {
  const who = actorName(entry.actor);
  const { added = [], removed = [] } = entry.details || {};
  const list = (tags) => tags.join(t('history.separator'));
  if (added.length && removed.length) return t('history.tagsChanged', { who, added: list(added), removed: list(removed) });
  if (removed.length) return t('history.tagsRemoved', { who, tags: list(removed), count: removed.length });
  return t('history.tagsAdded', { who, tags: list(added), count: added.length });
}

// an `assigned` history entry as a sentence: "Max assigned it to Cy until Dec 4, 2026, 3:30 PM"
function assignedText(entry) {
  const { to, lease_expires_at: until } = entry.details || {};
  const words = { who: actorName(entry.actor), to: actorName(to) };
  return until ? t('history.assigned', { ...words, until: fmtDateTime(until) }) : t('history.assignedNoLease', words);
}

// the list's filters, kept per tab: platform, language, needs_review ('true'), answered ('false')
function readFilters() {
  try {
    const kept = JSON.parse(session.get('list.filters') || '{}');
    return kept && typeof kept === 'object' ? kept : {};
  } catch {
    return {};
  }
}

function activeFilters(filters) {
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value));
}

// a select of people (GET /team's members), by role: agents, then managers, then admins, each by name. The one
// holding the conversation and the one signed in are marked as such.
function personSelect(id, people, value, placeholder, holder = '') {
  const option = (member) => h('option', { value: member.key_id, selected: member.key_id === value },
    member.key_id === holder ? t('assign.holderOption', { name: member.name })
      : member.key_id === session.keyId() ? t('assign.youOption', { name: member.name }) : member.name);
  const groups = ['agent', 'manager', 'admin'].map((role) => [role, people.filter((member) => member.role === role)])
    .filter(([, members]) => members.length)
    .map(([role, members]) => h('optgroup', { label: t(`assign.group.${role}`) }, members.map(option)));
  return h('select', { id }, h('option', { value: '', selected: !value }, placeholder), groups);
}

function badge(text, kind) {
  return h('span', { class: ['badge', kind && `badge-${kind}`] }, text);
}

// an automatic reply's label, by what sent it (automatic_texts.js automaticKind)
const AUTOMATIC_LABELS = {
  away: 'reply.automatic', survey: 'reply.automaticSurvey', followUp: 'reply.automaticFollowUp',
  rule: 'reply.automaticRule', other: 'reply.automaticOther',
};

// a score's stars: decoration beside the words that say it, hidden from screen readers (they read the words)
function starsOf(score, shown = stars(score)) {
  return h('span', { class: 'stars', 'aria-hidden': 'true' }, shown);
}

const scoreWords = (key, score) => t(key, { score: fmtNumber(score), max: fmtNumber(MAX_SCORE) });

// after a rating, what the follow-up question brought: the customer's comment, quoted and as text (their own words,
// never read as markup; when the API does not give them, erased or not among the messages read, only that it came),
// or that the question went and no answer came yet
function followUpPart(rating) {
  if (rating.commentMessageId) {
    const said = rating.comment
      ? withNode(t('satisfaction.comment'), '{comment}', h('span', { class: 'comment-text' }, rating.comment))
      : t('satisfaction.commentNotShown');
    const when = rating.commentedAt ? withNode(t('satisfaction.commentedAt'), '{at}', timeTag(rating.commentedAt)) : null;
    return h('span', { class: 'satisfaction-comment', id: 'satisfaction-comment' }, said, when ? [' · ', when] : null);
  }
  if (rating.followUpSentAt) {
    return [' · ', h('span', { class: 'satisfaction-follow-up', id: 'satisfaction-follow-up' },
      withNode(t('satisfaction.followUpSent'), '{at}', timeTag(rating.followUpSentAt)))];
  }
  return null;
}

// the satisfaction survey of a conversation, in its header: sent and not answered yet, or the customer's rating and
// what they said after it
function satisfactionLine(item) {
  const rating = ratingOf(item);
  if (!rating) return null;
  if (rating.score === null) {
    return h('p', { class: 'satisfaction', id: 'satisfaction' },
      withNode(t('satisfaction.sent'), '{at}', timeTag(rating.sentAt)));
  }
  return h('p', { class: 'satisfaction rated', id: 'satisfaction', dataset: { score: rating.score } },
    starsOf(rating.score), ' ', h('strong', {}, scoreWords('satisfaction.rated', rating.score)),
    rating.ratedAt ? [' · ', withNode(t('satisfaction.ratedAt'), '{at}', timeTag(rating.ratedAt))] : null,
    followUpPart(rating));
}

// "Past SLA": open, held by nobody, and the customer still waits on the message the sweep found past the queue's SLA
// (a claim, or their new message, ends that wait)
function slaBadge(item) {
  const breach = item?.sla_breach;
  if (!breach || item.status !== 'open' || breach.waiting_since !== (item.last_inbound_at || item.received_at)) return null;
  return h('span', { class: 'badge badge-error badge-sla', title: t('badge.pastSlaTitle', {
    sla: fmtDuration(breach.sla_seconds), since: fmtDateTime(breach.waiting_since) }) }, t('badge.pastSla'));
}

// a list row's rating, once the customer gave one: one star and the score in words
function ratingBadge(item) {
  const score = ratingOf(item)?.score;
  if (!score) return null;
  return h('span', { class: 'badge badge-rating', dataset: { score } }, starsOf(score, '★'), ' ',
    scoreWords('satisfaction.short', score));
}

export function mountAgent(container, { args, role, go }) {
  const manager = role !== 'agent';
  let disposed = false;
  const [queueArg, detailId] = args;
  const timers = new Set();
  // the open conversation's satisfaction survey (ratingOf): its rating and comment messages are marked
  let rated = null;
  const state = {
    queues: [], queue: null, status: session.get('status') || 'open', cursor: null, feats: null, listedOpen: null,
    filters: readFilters(), saved: null, selected: new Set(),
    rowQueues: new Map(), // each listed conversation's queue, by id: whom the bulk bar may assign them to
    team: null, // GET /team, once read (managers)
    templates: undefined, // GET /whatsapp-templates' list once read (undefined: not read yet, or to read again)
  };

  const overview = h('section', { class: 'queues', 'aria-labelledby': 'queues-title' });
  const listPane = h('section', { class: 'list-pane', 'aria-labelledby': 'list-title' });
  const detailPane = h('section', { class: 'detail-pane', 'aria-labelledby': 'detail-title' });
  replace(container, h('div', { class: ['agent', detailId && 'has-detail'] },
    overview, h('div', { class: 'workspace' }, listPane, detailPane)));
  if (!detailId) {
    replace(detailPane, h('h2', { id: 'detail-title' }, t('detail.noneTitle')),
      h('p', { class: 'hint' }, t('detail.none'), ' ', h('kbd', {}, 'N')));
  }

  const base = () => (state.feats.conversations ? 'conversations' : 'messages');

  // queues -------------------------------------------------------------------------------------------
  function renderOverview() {
    replace(overview, h('h1', { id: 'queues-title', class: 'visually-hidden' }, t('queues.title')),
      h('ul', { class: 'queue-cards' }, state.queues.map((summary) => {
        const current = summary.queue === state.queue;
        return h('li', {}, h('a', {
          class: ['queue-card', current && 'current'], href: `#/work/${encodeURIComponent(summary.queue)}`,
          'aria-current': current ? 'true' : null, dataset: { queue: summary.queue },
        },
        h('span', { class: 'queue-name' }, queueName(summary.queue)),
        h('span', { class: 'queue-open' }, h('strong', {}, fmtNumber(summary.open)), ' ', t('queues.open')),
        h('span', { class: 'queue-facts' },
          h('span', { class: summary.needs_review ? 'review-count' : null },
            t('queues.needsReview', { n: fmtNumber(summary.needs_review), count: summary.needs_review })),
          h('span', {}, t('queues.claimed', { n: fmtNumber(summary.claimed) })),
          h('span', {}, t('queues.snoozed', { n: fmtNumber(summary.snoozed) })),
          h('span', {}, t('queues.oldest', {
            age: summary.oldest_open_age_seconds === null ? '—' : fmtDuration(summary.oldest_open_age_seconds),
          })))));
      })));
  }

  // the list -----------------------------------------------------------------------------------------
  const list = h('ol', { class: 'messages', id: 'message-list', 'aria-labelledby': 'list-title' });
  const more = h('button', { type: 'button', class: 'secondary', id: 'load-more', hidden: true }, t('list.more'));
  // GET /me/conversations lists at most a bounded number: how many more she holds, when some are left out
  const leftOut = h('p', { class: 'hint', id: 'list-left-out', hidden: true });
  let claimWhenReady = false;
  const claimButton = h('button', {
    type: 'button', class: 'primary', id: 'claim-next', 'aria-keyshortcuts': 'n',
  }, t('claim.next'));

  // a filter changed (the bar, "All from this customer", a tag chip): kept per tab, and the list read again
  function setFilter(name, value) {
    state.filters = activeFilters({ ...state.filters, [name]: value });
    session.set('list.filters', JSON.stringify(state.filters));
    renderListPane();
    loadList(false);
  }

  function filterControls() {
    const save = setFilter;
    const platforms = [...new Set([...PLATFORMS, state.filters.platform].filter(Boolean))];
    const platform = select([['', t('filter.anyPlatform')], ...platforms.map((p) => [p, platformName(p)])],
      state.filters.platform || '', { id: 'filter-platform', onchange: (event) => save('platform', event.target.value) });
    const language = select([['', t('filter.anyLanguage')], ...LANGUAGES.map((l) => [l, t(`filter.language.${l}`)])],
      state.filters.language || '', { id: 'filter-language', onchange: (event) => save('language', event.target.value) });
    const check = (id, name, on, label) => h('label', { class: 'check', for: id },
      h('input', {
        type: 'checkbox', id, checked: state.filters[name] === on,
        onchange: (event) => save(name, event.target.checked ? on : ''),
      }), ' ', label);
    // the satisfaction survey's rating: only resolved conversations were rated
    const rating = state.feats.maxRating && state.status === 'resolved'
      ? select([['', t('filter.anyRating')], ...MAX_RATINGS.map((n) => [n, n === '1' ? t('filter.ratingOne')
        : t('filter.maxRating', { n: fmtNumber(Number(n)) })])], state.filters.max_rating || '',
      { id: 'filter-rating', onchange: (event) => save('max_rating', event.target.value) })
      : null;
    const active = Object.keys(appliedFilters()).length;
    const clear = h('button', { type: 'button', class: 'link', id: 'filter-clear', hidden: !active }, t('filter.clear'));
    clear.addEventListener('click', () => {
      state.filters = {};
      session.set('list.filters', null);
      renderListPane();
      loadList(false);
      document.getElementById('filter-platform')?.focus();
    });
    const quiet = (label, control) => { // the options name themselves ("Any platform"); the label is for screen readers
      const wrapped = field(label, control);
      wrapped.querySelector('label').classList.add('visually-hidden');
      return wrapped;
    };
    const author = state.filters.author ? h('span', { class: 'chip', id: 'filter-author' },
      t('filter.author', { id: state.filters.author }), ' ',
      h('button', { type: 'button', class: 'link', onclick: () => save('author', '') }, t('filter.removeAuthor'))) : null;
    // words: searched when she presses Enter or Search (each search reads the list again)
    const words = h('input', { type: 'search', id: 'filter-q', value: state.filters.q || '', maxlength: 100,
      placeholder: t('filter.searchPlaceholder'), autocomplete: 'off' });
    const search = h('form', { role: 'search', class: 'list-search', novalidate: true },
      h('label', { class: 'visually-hidden', for: 'filter-q' }, t('filter.search')), words,
      h('button', { type: 'submit', class: 'secondary', id: 'filter-search' }, t('filter.searchButton')));
    search.addEventListener('submit', (event) => {
      event.preventDefault();
      save('q', words.value.trim());
      document.getElementById('filter-q')?.focus();
    });
    // a tag: applied on Enter or Apply, in the one spelling the API keeps ("VIP" lists those tagged "vip")
    let tagged = null;
    if (state.feats.tags) {
      const tag = h('input', { type: 'text', id: 'filter-tag', value: state.filters.tag || '', maxlength: 100,
        placeholder: t('filter.tagPlaceholder'), autocomplete: 'off', spellcheck: 'false' });
      tagged = h('form', { class: 'list-tag', novalidate: true },
        h('label', { for: 'filter-tag' }, t('filter.tag')), tag,
        h('button', { type: 'submit', class: 'secondary', id: 'filter-tag-apply' }, t('filter.tagApply')));
      tagged.addEventListener('submit', (event) => {
        event.preventDefault();
        const typed = tag.value.trim();
        if (typed && !validTag(typed)) {
          showError(t('tags.invalid', { tags: typed, count: 1 }));
          tag.focus();
          return;
        }
        save('tag', typed ? foldTag(typed) : '');
        document.getElementById('filter-tag')?.focus();
      });
    }
    return h('div', { class: 'toolbar list-filters', role: 'group', 'aria-label': t('filter.title') },
      search, author, tagged, quiet(t('filter.platform'), platform), quiet(t('filter.language'), language),
      rating ? quiet(t('filter.rating'), rating) : null,
      check('filter-review', 'needs_review', 'true', t('filter.needsReview')),
      check('filter-unanswered', 'answered', 'false', t('filter.unanswered')),
      clear);
  }

  function renderListPane() {
    const statuses = STATUSES.map((s) => [s, statusName(s)]);
    if (state.feats.mine) statuses.unshift([MINE, t('list.mine')]);
    if (state.feats.removed) statuses.push(['removed', t('list.removed')]); // to find one hidden, to show it again
    const status = select(statuses, state.status, {
      id: 'list-status', onchange: (event) => {
        state.status = event.target.value;
        session.set('status', state.status);
        renderListPane();
        loadList(false);
      },
    });
    const refresh = h('button', { type: 'button', class: 'secondary', id: 'refresh' }, t('list.refresh'));
    refresh.addEventListener('click', busy(refresh, async () => {
      await Promise.all([loadQueues(), loadList(false), detailId ? loadDetail() : null]);
      state.listedOpen = openInQueue(); // the counts read beside this list, whichever answered first
      notice(t('list.refreshed'));
    }));
    claimButton.onclick = busy(claimButton, claimNext);
    if (claimWhenReady) {
      claimWhenReady = false;
      setTimeout(() => claimButton.click());
    }
    more.onclick = busy(more, () => loadList(true));
    replace(listPane,
      h('div', { class: 'list-head' },
        h('h2', { id: 'list-title' }, state.status === MINE ? t('list.mineTitle') : queueName(state.queue)),
        h('div', { class: 'toolbar' },
          claimButton,
          h('span', { class: 'hint' }, t('claim.shortcut'), ' ', h('kbd', {}, 'N'), ' · ', t('list.moveKeys'), ' ',
            h('kbd', {}, 'J'), ' ', h('kbd', {}, 'K')),
          field(t('list.show'), status),
          refresh),
        state.feats.filters ? filterControls() : null),
      newer, bulkBar, list, leftOut, more);
    newer.querySelector('button').onclick = () => refresh.click();
    renderBulkBar();
  }

  // bulk actions on the conversations ticked in the list (a spam wave, a thread in the wrong queue)
  const bulkBar = h('div', { class: 'bulk-bar', id: 'bulk-bar', role: 'region', 'aria-label': t('bulk.title') });
  const bulkStatus = h('div', { class: 'form-status', role: 'status', id: 'bulk-status' });

  // each ticked conversation's customer, by id, as the list showed them: the refusals name them even once the list
  // is read again (and a "Send again" later)
  const listedNames = new Map();

  // the API's answer once it has answered (each conversation with its own outcome), else null. `ids`: those to act
  // on (the ticked ones); `done` and `refused`: the message keys of what is said
  async function submitBulk(action, extra, words, { ids = [...state.selected], done: doneKey = `bulk.done.${action}`,
    refused: refusedKey = 'bulk.refused' } = {}) {
    const said = ['hide', 'unhide'].includes(action) ? moderationErrorText : action === 'reply' ? bulkReplyErrorText
      : errorText;
    let done = null;
    for (const id of ids) {
      const name = list.querySelector(`.row-box[data-id="${CSS.escape(id)}"] .author`)?.textContent;
      if (name) listedNames.set(id, name);
    }
    try {
      const answer = await api('conversations/bulk', {
        method: 'POST', body: { action, conversation_ids: ids, ...extra },
      });
      const refused = answer.results.filter((r) => r.outcome !== 'done');
      done = answer;
      // none done: no success to announce, the refusals below say why
      notice(answer.done || !refused.length ? t(doneKey, { n: fmtNumber(answer.done), count: answer.done, ...words }) : '');
      // the conversation open beside the list, when it was among them, is read again too
      await Promise.all([loadQueues(), loadList(false), detailId && ids.includes(detailId) ? loadDetail() : null]);
      // what was refused stays on screen, each with the reason the single action would give
      replace(bulkStatus, refused.length ? [
        h('p', {}, t(refusedKey, { n: fmtNumber(refused.length), count: refused.length })),
        h('ul', {}, refused.map((r) => h('li', { dataset: { id: r.id, outcome: r.outcome } },
          listedNames.has(r.id) ? `${listedNames.get(r.id)} (${r.id})` : r.id, ': ',
          said({ code: r.outcome, message: r.message, status: 0 })))),
      ] : null);
    } catch (error) {
      showError(error);
    }
    return done;
  }

  function renderBulkBar() {
    if (!state.feats || !state.feats.bulk) return;
    const picks = [...list.querySelectorAll('input.pick')];
    const every = picks.length > 0 && picks.every((p) => p.checked);
    const all = h('input', {
      type: 'checkbox', id: 'bulk-all', checked: every, indeterminate: state.selected.size > 0 && !every,
      onchange: (event) => {
        for (const p of picks) {
          p.checked = event.target.checked;
          if (p.checked) state.selected.add(p.dataset.id);
          else state.selected.delete(p.dataset.id);
        }
        renderBulkBar();
        document.getElementById('bulk-all')?.focus();
      },
    });
    const count = state.selected.size;
    const button = (id, label) => h('button', { type: 'button', class: 'secondary', id }, label);
    const resolve = button('bulk-resolve', t('bulk.resolve'));
    resolve.addEventListener('click', busy(resolve, () => submitBulk('resolve', {}, {})));
    const release = button('bulk-release', t('bulk.release'));
    release.addEventListener('click', busy(release, () => submitBulk('release', {}, {})));
    // a spam wave hidden on its platforms (each conversation's first message; anyone who works the queue)
    const hide = state.feats.bulkHide && state.status !== 'removed' ? button('bulk-hide', t('bulk.hide')) : null;
    hide?.addEventListener('click', busy(hide, () => submitBulk('hide', {}, {})));
    // undoing a hide in bulk, where the hidden ones are listed; reopening, where the resolved ones are
    const unhide = state.feats.bulkUnhide && state.status === 'removed' ? button('bulk-unhide', t('bulk.unhide')) : null;
    unhide?.addEventListener('click', busy(unhide, () => submitBulk('unhide', {}, {})));
    const reopen = state.feats.bulkReopen && state.status === 'resolved' ? button('bulk-reopen', t('bulk.reopen')) : null;
    reopen?.addEventListener('click', busy(reopen, () => submitBulk('reopen', {}, {})));
    const target = select(QUEUES.map((q) => [q, queueName(q)]), QUEUES.find((q) => q !== state.queue), { id: 'bulk-queue' });
    const reason = h('input', { type: 'text', id: 'bulk-reason', maxlength: 500, placeholder: t('bulk.reasonPlaceholder') });
    const move = button('bulk-move', t('bulk.move'));
    move.addEventListener('click', busy(move, async () => {
      if (!reason.value.trim()) {
        replace(bulkStatus, t('bulk.reasonNeeded'));
        reason.focus();
        return;
      }
      await submitBulk('reroute', { queue: target.value, reason: reason.value.trim() }, { queue: queueName(target.value) });
    }));
    let tagging = null;
    if (state.feats.tags) {
      // what she typed outlives the bar's redrawing as she ticks more rows, until the tags are sent
      const tagsBox = h('input', { type: 'text', id: 'bulk-tags', maxlength: 400, autocomplete: 'off', spellcheck: 'false',
        placeholder: t('bulk.tagPlaceholder'), value: state.bulkTags || '' });
      tagsBox.addEventListener('input', () => { state.bulkTags = tagsBox.value; });
      const tag = button('bulk-tag', t('bulk.tag'));
      tag.addEventListener('click', busy(tag, async () => {
        const { tags, invalid } = parseTags(tagsBox.value);
        const problem = invalid.length ? t('tags.invalid', { tags: invalid.join(t('history.separator')), count: invalid.length })
          : !tags.length ? t('bulk.tagNeeded') : tags.length > MAX_TAGS ? errorText({ code: 'too_many_tags' }) : null;
        if (problem) {
          replace(bulkStatus, problem);
          tagsBox.focus();
          return;
        }
        if (await submitBulk('tag', { add: tags }, { tags: tags.join(t('history.separator')) })) state.bulkTags = '';
      }));
      tagsBox.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.isComposing) {
          event.preventDefault();
          tag.click();
        }
      });
      tagging = h('div', { class: 'toolbar bulk-tags' },
        h('label', { class: 'visually-hidden', for: 'bulk-tags' }, t('bulk.tags')), tagsBox, tag);
    }
    const assigning = count ? bulkAssign(button) : null;
    const replying = count ? bulkReply(button, count) : null;
    replace(bulkBar,
      h('label', { class: 'check', for: 'bulk-all' }, all, ' ',
        count ? t('bulk.selected', { n: fmtNumber(count), count }) : t('bulk.selectAll')),
      count ? h('div', { class: 'toolbar' }, resolve, release, hide, unhide, reopen) : null,
      count ? h('div', { class: 'toolbar bulk-move' },
        h('label', { class: 'visually-hidden', for: 'bulk-queue' }, t('bulk.moveTo')), target,
        h('label', { class: 'visually-hidden', for: 'bulk-reason' }, t('bulk.reason')), reason, move) : null,
      count ? tagging : null,
      assigning,
      replying,
      bulkStatus);
    bulkBar.hidden = !picks.length;
  }

  // "Assign selected to…" (managers): the people who work the queue of every conversation ticked; what she chose
  // outlives the bar's redrawing as she ticks more rows
  function bulkAssign(button) {
    if (!manager || !state.feats.assign) return null;
    if (!state.team) {
      loadTeam().then((members) => {
        state.team = members;
        renderBulkBar();
      }).catch(() => { /* the bar is drawn without it; the next redraw asks again */ });
      return null;
    }
    const queues = new Set([...state.selected].map((id) => state.rowQueues.get(id) || state.queue));
    const people = state.team.filter((member) => [...queues].every((queue) => worksQueue(member, queue)));
    if (!people.some((member) => member.key_id === state.bulkAssignee)) state.bulkAssignee = '';
    const who = personSelect('bulk-assignee', people, state.bulkAssignee, t('bulk.assignChoose'));
    who.addEventListener('change', () => { state.bulkAssignee = who.value; });
    const assign = button('bulk-assign', t('bulk.assign'));
    assign.addEventListener('click', busy(assign, async () => {
      const chosen = people.find((member) => member.key_id === who.value);
      if (!chosen) {
        replace(bulkStatus, t('bulk.assignNeeded'));
        who.focus();
        return;
      }
      const answer = await submitBulk('assign', { key_id: chosen.key_id }, { who: chosen.name });
      if (!answer) return;
      state.bulkAssignee = '';
      if (answer.results.some((r) => r.outcome === 'unknown_assignee')) { // no longer there: read the team again
        forgetTeam();
        state.team = null;
        renderBulkBar();
      }
    }));
    return h('div', { class: 'toolbar bulk-assign' },
      h('label', { class: 'visually-hidden', for: 'bulk-assignee' }, t('bulk.assignTo')), who, assign);
  }

  // "Reply to selected" (Zendesk's macro on many tickets: an outage, a crisis): one statement to each customer ticked,
  // through their platforms, {{customer_name}} filled in by the API. It goes to real customers: asked first, in
  // words. Its idempotency key is kept while the text stays the same, so that sending again (after a slow-down, or
  // with a conversation taken since) answers no one twice; a new text is a new reply, with a new key.
  function bulkReply(button, count) {
    // a resolved or removed conversation takes no reply (take or reopen it first)
    if (!state.feats.bulkReply || ['resolved', 'removed'].includes(state.status)) return null;
    const scope = 'bulk:reply';
    const box = draftBox('textarea', scope, { id: 'bulk-reply-text', rows: 3, maxlength: MAX_REPLY,
      'aria-describedby': 'bulk-reply-hint bulk-reply-count' });
    const counter = h('p', { class: 'hint reply-count', id: 'bulk-reply-count', 'aria-live': 'polite' });
    const recount = () => replace(counter, t('bulk.replyCount', {
      n: fmtNumber(measure(box.value.trim(), 'characters')), max: fmtNumber(MAX_REPLY) }));
    box.addEventListener('input', recount);
    recount();
    // the saved replies approved for every queue of the ticked ones, the name left for the API to fill in
    const saved = h('div', { class: 'bulk-saved' });
    const queues = [...new Set([...state.selected].map((id) => state.rowQueues.get(id) || state.queue))];
    const picker = () => replace(saved, savedPicker({}, box, scope, { id: 'bulk-saved-reply', queues, keepName: true }));
    if (state.saved) picker();
    else loadSaved().then(() => { if (saved.isConnected) picker(); });
    const resolve = h('input', { type: 'checkbox', id: 'bulk-reply-resolve', checked: Boolean(state.bulkReplyResolve),
      onchange: (event) => { state.bulkReplyResolve = event.target.checked; } });
    const send = button('bulk-reply-send', t('bulk.replySend'));
    const asking = h('div', { class: 'bulk-reply-confirm', id: 'bulk-reply-confirm-box' });
    box.addEventListener('input', () => replace(asking)); // the question was about the text as it was: asked again
    send.addEventListener('click', () => {
      const text = box.value.trim();
      if (!text) {
        replace(bulkStatus, t('bulk.replyNeeded'));
        box.focus();
        return;
      }
      const question = h('p', { class: 'bulk-reply-question', id: 'bulk-reply-question' },
        t('bulk.replyAsk', { n: fmtNumber(count), count }));
      const confirm = h('button', { type: 'button', class: 'primary', id: 'bulk-reply-confirm',
        'aria-describedby': 'bulk-reply-question' }, t('bulk.replyConfirm', { n: fmtNumber(count), count }));
      const cancel = h('button', { type: 'button', class: 'secondary', id: 'bulk-reply-cancel' }, t('bulk.replyCancel'));
      confirm.addEventListener('click', busy(confirm, () => {
        const pending = pendingAttempt(PENDING_BULK_REPLY, text, false, 'bulk-'); // the same text keeps its key
        return sendBulkReply([...state.selected], text, pending.key, resolve.checked);
      }));
      cancel.addEventListener('click', () => {
        replace(asking);
        send.focus();
      });
      replace(asking, question, h('div', { class: 'toolbar' }, confirm, cancel));
      confirm.focus();
    });
    return h('details', { class: 'bulk-reply', id: 'bulk-reply', open: Boolean(state.bulkReplyOpen),
      ontoggle: (event) => { state.bulkReplyOpen = event.target.open; } },
    h('summary', { id: 'bulk-reply-open' }, t('bulk.reply')),
    saved,
    field(t('bulk.replyText'), box),
    h('p', { class: 'hint', id: 'bulk-reply-hint' }, t('bulk.replyHint')),
    counter,
    h('label', { class: 'check', for: 'bulk-reply-resolve' }, resolve, ' ', t('bulk.replyResolve')),
    h('div', { class: 'toolbar' }, send),
    asking);
  }

  // the bulk reply to `ids` under `key`; what a slow-down or the time running out left unsent is offered to send
  // again, with the same text and key
  async function sendBulkReply(ids, text, key, resolve) {
    const answer = await submitBulk('reply', { text, idempotency_key: key, resolve }, {}, {
      ids, done: resolve ? 'bulk.done.replyResolve' : 'bulk.done.reply', refused: 'bulk.replyRefused' });
    if (!answer) return; // in error: the text and its key are kept, to send again
    if (!answer.refused) { // every one answered: the next bulk reply starts afresh
      session.set(PENDING_BULK_REPLY, null);
      session.saveDraft('bulk:reply', '');
    }
    const again = answer.results.filter((r) => RESENDABLE.includes(r.outcome)).map((r) => r.id);
    if (!again.length) return;
    const resend = h('button', { type: 'button', class: 'primary', id: 'bulk-reply-again' },
      t('bulk.replyAgain', { n: fmtNumber(again.length), count: again.length }));
    resend.addEventListener('click', busy(resend, () => sendBulkReply(again, text, key, resolve)));
    add(bulkStatus, [h('p', { class: 'hint', id: 'bulk-reply-again-hint' }, t('bulk.replyAgainHint')),
      h('div', { class: 'toolbar' }, resend)]);
    resend.focus();
  }

  // the counts stay current, as in a shared inbox: read again every 30 s while the tab is visible and on coming
  // back to it. The list is not redrawn under her (she may be reading it): it says when more are waiting.
  const newer = h('p', { class: 'hint newer', id: 'list-newer', role: 'status', hidden: true }, t('list.newer'), ' ',
    h('button', { type: 'button', class: 'secondary' }, t('list.refresh')));

  function openInQueue() {
    const shown = state.queues.find((q) => q.queue === state.queue);
    return shown ? shown.open : null;
  }

  async function refreshCounts() {
    if (document.visibilityState !== 'visible' || !state.queue) return;
    try {
      await loadQueues();
    } catch {
      return; // the next tick tries again
    }
    const open = openInQueue();
    if (state.status === 'open' && state.listedOpen !== null && open !== null && open > state.listedOpen) newer.hidden = false;
  }
  const poll = setInterval(refreshCounts, 30_000);
  document.addEventListener('visibilitychange', refreshCounts);

  function row(item) {
    const id = state.feats.conversations ? conversationId(item) : item.id;
    const text = item.last_inbound_text || item.text || ''; // a conversation: the customer's latest words
    // an erased first message, and no later words of anyone else: the words saying it was erased
    const erased = !item.last_inbound_text && isErased(item);
    const pick = state.feats.bulk ? h('input', {
      type: 'checkbox', class: 'pick', checked: state.selected.has(id), dataset: { id },
      'aria-label': t('bulk.pick', { who: authorName(item) }),
      onchange: (event) => {
        if (event.target.checked) state.selected.add(id);
        else state.selected.delete(id);
        renderBulkBar();
      },
    }) : null;
    const tags = rowTags(item.tags);
    state.rowQueues.set(id, item.queue || state.queue);
    return h('li', { class: pick ? 'selectable' : null }, pick, h('div', {
      class: ['row-box', tags && 'tagged', id === detailId && 'current'], dataset: { id } }, h('a', {
      class: ['row', id === detailId && 'current'],
      href: `#/work/${encodeURIComponent(item.queue || state.queue)}/${encodeURIComponent(id)}`,
      'aria-current': id === detailId ? 'true' : null, dataset: { id },
    },
    h('span', { class: 'row-top' },
      h('span', { class: 'priority', title: t('detail.priority') },
        h('span', { class: 'visually-hidden' }, `${t('detail.priority')} `), fmtNumber(item.priority)),
      h('span', { class: 'author' }, authorName(item)),
      item.needs_review ? badge(t('badge.needsReview'), 'review') : null,
      mine(item) ? badge(t('badge.yours'), 'mine') : null,
      item.status === 'claimed' && item.claimed_by && !mine(item)
        ? h('span', { class: 'badge holder', title: item.claimed_by }, t('list.heldBy', { who: actorName(item.claimed_by) })) : null,
      item.status === 'snoozed' && item.snoozed_until ? badge(t('list.snoozedUntil', { until: fmtDateTime(item.snoozed_until) })) : null,
      moderationBadge(item),
      slaBadge(item),
      ratingBadge(item),
      item.message_count > 1 ? badge(t('list.messages', { n: fmtNumber(item.message_count) })) : null),
    h('span', { class: 'row-meta' }, state.status === MINE ? [queueName(item.queue), ' · '] : null,
      platformName(item.platform), ' · ', channelName(item.channel), ' · ', timeTag(item.last_inbound_at || item.received_at)),
    erased ? textOf(item, 'span', 'snippet')
      : h('span', { class: 'snippet' }, text.length > SNIPPET ? `${text.slice(0, SNIPPET)}…` : text),
    h('span', { class: 'reasons' }, (item.priority_reasons || []).map((reason) => h('span', { class: 'reason' },
      reasonText(reason))))), tags));
  }

  // a row's tags, under its link (a button may not sit inside a link): each shows the list with that tag
  // (pressed: the list shows it already, and a click shows every tag again)
  function rowTags(tags) {
    if (!state.feats.tags || !tags || !tags.length) return null;
    return h('ul', { class: 'row-tags', 'aria-label': t('tags.title') }, tags.map((tag) => {
      const pressed = state.filters.tag === tag;
      return h('li', {}, h('button', {
        type: 'button', class: 'tag-chip', 'aria-pressed': pressed ? 'true' : 'false',
        'aria-label': t('tags.filterBy', { tag }), dataset: { tag },
        onclick: () => {
          setFilter('tag', pressed ? '' : tag);
          document.getElementById('filter-tag')?.focus();
        },
      }, tag));
    }));
  }

  // the row of a conversation whose tags changed here, redrawn in place (what is ticked stays ticked); read
  // again when the list is filtered by a tag it no longer has
  function retagRow(id, tags) {
    const box = [...list.querySelectorAll('.row-box')].find((el) => el.dataset.id === id);
    if (state.filters.tag && tags.includes(state.filters.tag) !== !!box) {
      loadList(false);
      return;
    }
    if (!box) return;
    box.querySelector('.row-tags')?.remove();
    const shown = rowTags(tags);
    box.classList.toggle('tagged', !!shown);
    if (shown) box.append(shown);
  }

  // the filters the list is read with: those the API has, the rating under Resolved only (it is kept meanwhile)
  function appliedFilters() {
    const filters = state.feats.filters ? activeFilters(state.filters) : {};
    if (!state.feats.tags) delete filters.tag;
    if (!state.feats.maxRating || state.status !== 'resolved') delete filters.max_rating;
    return filters;
  }

  let listRequest = 0;
  async function loadList(append) {
    const filters = appliedFilters();
    const filtered = Object.keys(filters).length > 0;
    const request = ++listRequest;
    try {
      const page = state.status === MINE
        ? await api('me/conversations', { query: filters })
        : await api(`queues/${seg(state.queue)}/messages`, {
          query: { status: state.status, limit: PAGE, cursor: append ? state.cursor : null, ...filters },
        });
      // a filter or status chosen meanwhile asked again: this answer is for a list no longer shown
      if (request !== listRequest) return;
      const items = page.messages || page.conversations || [];
      state.cursor = page.next_cursor || null;
      if (!append) {
        replace(list);
        state.selected.clear();
        state.rowQueues.clear();
        newer.hidden = true;
        state.listedOpen = filtered ? null : openInQueue(); // "more waiting" compares unfiltered counts only
      }
      list.querySelector('.empty')?.remove();
      list.append(...items.map(row));
      renderBulkBar();
      if (!list.children.length) {
        let empty = t('list.empty', { status: statusWord(state.status) });
        if (state.status === MINE) empty = filtered ? t('list.mineNoMatch') : t('list.mineEmpty');
        else if (filtered) empty = state.cursor ? t('list.noMatchYet') : t('list.noMatch', { status: statusWord(state.status) });
        list.append(h('li', { class: 'empty' }, empty));
      }
      more.hidden = !state.cursor;
      replace(more, filtered && !items.length ? t('list.further') : t('list.more'));
      const unlisted = state.status === MINE ? page.left_out || 0 : 0;
      replace(leftOut, unlisted ? t('list.leftOut', { n: fmtNumber(unlisted), count: unlisted }) : null);
      leftOut.hidden = !unlisted;
    } catch (error) {
      showError(error);
    }
  }

  async function loadQueues() {
    const answer = await api('queues');
    state.queues = answer.queues;
    renderOverview();
  }

  // claim next ---------------------------------------------------------------------------------------
  async function claimNext() {
    try {
      const answer = await api(`queues/${seg(state.queue)}/claim`, {
        method: 'POST', body: { count: 1, lease_seconds: LEASE_SECONDS },
      });
      const [item] = answer.claimed || answer.conversations || [];
      if (!item) {
        notice(t('claim.none', { queue: queueName(state.queue) }));
        return;
      }
      notice(t('claim.done', { who: authorName(item) }));
      go('work', state.queue, state.feats.conversations ? conversationId(item) : item.id);
    } catch (error) {
      showError(error);
    }
  }

  // take the conversation on screen ------------------------------------------------------------------
  async function take(item) {
    try {
      await api(`conversations/${seg(detailId)}/claim`, { method: 'POST', body: { lease_seconds: LEASE_SECONDS } });
      notice(t('claim.taken', { who: authorName(item) }));
      const title = await loadDetail();
      const box = detailPane.querySelector('#reply-text');
      (box || title)?.focus();
    } catch (error) {
      showError(error);
      await loadDetail();
    }
  }

  function takeButton(item) {
    if (!state.feats.take || !takeable(item)) return null;
    const button = h('button', { type: 'button', class: 'primary', id: 'take' }, t('claim.take'));
    button.addEventListener('click', busy(button, () => take(item)));
    return h('div', { class: 'toolbar take' }, button);
  }

  // "Reopen" (Chatwoot's "Reopen conversation", a solved Zendesk ticket set back to open): a resolved conversation has
  // no holder, so whoever may read it (who works its queue) may undo a resolve made by mistake; it goes back to its
  // queue, open and unclaimed. The reason is optional and kept in its history.
  function reopenView(item) {
    if (!state.feats.reopen || item.status !== 'resolved') return null;
    const scope = `${detailId}:reopen`;
    const reason = draftBox('input', scope, { id: 'reopen-reason', type: 'text', maxlength: 500 });
    const reopen = h('button', { type: 'submit', class: 'primary', id: 'reopen' }, t('reopen.submit'));
    const form = h('form', { novalidate: true, class: 'reopen-form' },
      field(t('reopen.reason'), reason), h('div', { class: 'toolbar' }, reopen));
    form.addEventListener('submit', busy(reopen, async () => {
      const why = reason.value.trim();
      try {
        await api(`conversations/${seg(detailId)}/reopen`, { method: 'POST', body: why ? { reason: why } : {} });
        session.saveDraft(scope, '');
        notice(t('reopen.done'));
      } catch (error) {
        // reopened meanwhile (a colleague, or the customer wrote again), or gone: said, then shown as it is now
        showError(error.code === 'wrong_status' ? t('reopen.already') : error);
      }
      const title = await loadDetail();
      (document.getElementById('take') || title)?.focus(); // the next step: take it
      await Promise.all([loadQueues().catch(() => {}), loadList(false)]);
    }));
    return h('section', { class: 'reopen', id: 'reopen-section', 'aria-labelledby': 'reopen-title' },
      h('h3', { id: 'reopen-title' }, t('reopen.title')), h('p', { class: 'hint' }, t('reopen.hint')), form);
  }

  // "Assign to…" (managers and admins; Zendesk's assignee): hand the conversation to a person who works its queue,
  // claimed for them with the API's default lease (4 hours). The team is read once per page.
  function assignView(item) {
    if (!manager || !state.feats.assign || !ASSIGNABLE.includes(item.status)) return null;
    const holder = item.status === 'claimed' ? actorKeyId(item.claimed_by) : '';
    const now = h('p', { class: 'hint', id: 'assign-now' }, item.status === 'claimed' && item.claimed_by
      ? t('assign.heldBy', { who: actorName(item.claimed_by), until: fmtDateTime(item.lease_expires_at) })
      : t('assign.nobody'));
    const body = h('div', { class: 'assign-body' }, h('p', { class: 'hint' }, t('assign.loading')));
    const section = h('section', { class: 'assign', id: 'assign', 'aria-labelledby': 'assign-title' },
      h('h3', { id: 'assign-title' }, t('assign.title')), now, body);

    function draw(members) {
      const people = members.filter((member) => worksQueue(member, item.queue));
      const who = personSelect('assign-to', people, '', t('assign.choose'), holder);
      who.setAttribute('aria-describedby', 'assign-now assign-hint');
      const assign = h('button', { type: 'submit', class: 'secondary', id: 'assign-submit' }, t('assign.submit'));
      const form = h('form', { novalidate: true, class: 'assign-form' },
        h('label', { for: 'assign-to' }, t('assign.label')),
        h('div', { class: 'assign-entry' }, who, assign),
        h('p', { class: 'hint', id: 'assign-hint' }, t('assign.hint', { queue: queueName(item.queue) })));
      form.addEventListener('submit', busy(assign, async () => {
        const chosen = people.find((member) => member.key_id === who.value);
        if (!chosen) {
          showError(t('assign.needed'));
          who.focus();
          return;
        }
        await assignTo(item, chosen);
      }));
      replace(body, people.length ? form : h('p', { class: 'hint' }, t('assign.noOne', { queue: queueName(item.queue) })));
      if (state.focusAssign && people.length) who.focus(); // back where she was, after an assignment
      state.focusAssign = false;
    }

    loadTeam().then(draw).catch((error) => replace(body, h('p', { class: 'error' }, errorText(error))));
    return section;
  }

  async function assignTo(item, person) {
    let answer;
    try {
      answer = await api(`conversations/${seg(detailId)}/assign`, { method: 'POST', body: { key_id: person.key_id } });
    } catch (error) {
      showError(error);
      if (error.code === 'unknown_assignee') forgetTeam(); // no longer there: the team is read again
      if (error.status === 409 || error.status === 404 || error.code === 'unknown_assignee') {
        state.focusAssign = true; // the conversation as it is now, the focus back on the select
        await loadDetail();
        if (!document.getElementById('assign')) state.focusAssign = false; // resolved meanwhile: nothing to assign
      } else document.getElementById('assign-to')?.focus();
      return;
    }
    notice(t('assign.done', { who: person.name, until: fmtDateTime(answer.lease_expires_at) }));
    // the conversation drawn again from the answer (its state; the messages, replies and notes are as they were)
    const next = { ...item };
    for (const name of ['status', 'claimed_by', 'lease_expires_at', 'snoozed_until', 'first_claimed_at', 'queue', 'tags']) {
      if (name in answer) next[name] = answer[name];
      else delete next[name];
    }
    state.focusAssign = true;
    renderDetail(next);
    // the answer carries no history: the history is read again, and the list and counts (it is claimed now)
    await Promise.all([loadQueues().catch(() => {}), loadList(false), (async () => {
      try {
        const fresh = await api(`conversations/${seg(detailId)}`);
        detailPane.querySelector('section.history')?.replaceWith(historyView(fresh));
      } catch { /* the history shows the assignment on the next reading */ }
    })()]);
  }

  // the messages between a long conversation's first and latest ones, a page at a time
  function earlierButton(cursor) {
    if (!cursor || !state.feats.earlier) return null;
    const button = h('button', { type: 'button', class: 'secondary', id: 'earlier' }, t('detail.earlier'));
    const slot = h('div', { class: 'earlier' }, button);
    button.addEventListener('click', busy(button, async () => {
      try {
        const page = await api(`conversations/${seg(detailId)}/messages?cursor=${encodeURIComponent(cursor)}`);
        const shown = page.messages.map((m) => messageView(m, false));
        slot.replaceWith(...shown, ...[earlierButton(page.next_cursor)].filter(Boolean));
        focusFirst(shown);
      } catch (error) {
        showError(error);
      }
    }));
    return slot;
  }

  // N claims the next conversation; J and K move through the list (Enter opens the one focused), as in a mail client
  function onKey(event) {
    const key = event.key.toLowerCase();
    if (!['n', 'j', 'k'].includes(key)) return;
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (key === 'n') {
      if (event.repeat) return;
      event.preventDefault();
      if (claimButton.onclick) claimButton.click();
      else claimWhenReady = true; // pressed while the view still reads its queues: claim once it can
      return;
    }
    const rows = [...list.querySelectorAll('a.row')];
    if (!rows.length) return;
    event.preventDefault();
    const at = rows.indexOf(document.activeElement);
    const start = at >= 0 ? at : rows.findIndex((row) => row.classList.contains('current'));
    const next = key === 'j' ? Math.min(start + 1, rows.length - 1) : Math.max(start < 0 ? 0 : start - 1, 0);
    rows[next].focus();
  }
  document.addEventListener('keydown', onKey);

  // the conversation (named by the route's id: a message's, or a conversation's first message's) -----------
  function draftBox(tag, scope, props) {
    const box = h(tag, { ...props, value: session.draft(scope) });
    box.addEventListener('input', () => session.saveDraft(scope, box.value));
    return box;
  }

  function leaseLine(item) {
    if (item.status !== 'claimed' || !item.lease_expires_at) return null;
    if (!mine(item)) {
      return h('p', { class: 'lease', id: 'lease-other', title: item.claimed_by },
        t('lease.other', { who: actorName(item.claimed_by), until: fmtDateTime(item.lease_expires_at) }));
    }
    const out = h('p', { class: 'lease', id: 'lease' });
    const tick = () => {
      const left = (Date.parse(item.lease_expires_at) - Date.now()) / 1000;
      out.classList.toggle('warning', left < 60);
      replace(out, left > 0 ? t('lease.left', { left: fmtCountdown(left) }) : t('lease.expired'));
    };
    tick();
    timers.add(setInterval(tick, 1000));
    return out;
  }

  // `omit`: moderation actions offered elsewhere on the page (the Undo of a first message just hidden)
  function messageView(message, single, omit = []) {
    const outbound = message.direction === 'outbound';
    const moderated = message.moderation?.state;
    const erased = isErased(message);
    return h('article', { class: ['message', outbound ? 'outbound' : 'inbound', moderated && `moderated moderated-${moderated}`,
      erased && 'erased'],
      dataset: { id: message.id, at: timeOf(message.received_at || message.created_at) } },
      h('header', {},
        h('span', { class: 'author' }, outbound ? t('message.brand') : authorName(message)),
        h('span', { class: 'row-meta' }, platformName(message.platform), ' · ', channelName(message.channel), ' · ',
          timeTag(message.created_at || message.received_at)),
        single ? null : badge(outbound ? t('message.outbound') : t('message.inbound')),
        rated?.messageId === message.id ? badge(scoreWords('satisfaction.ratingBadge', rated.score), 'rating') : null,
        rated?.commentMessageId === message.id ? badge(t('satisfaction.commentBadge'), 'comment') : null,
        moderationBadge(message)),
      textOf(message),
      message.text_truncated && !erased ? h('p', { class: 'hint' }, t('message.truncated')) : null,
      message.author && message.author.id ? h('p', { class: 'hint' }, t('message.authorId', { id: message.author.id })) : null,
      message.moderation?.reason ? h('p', { class: 'hint moderation-reason' },
        t('moderation.reasonShown', { reason: message.moderation.reason })) : null,
      single ? null : moderationTools(message, omit));
  }

  // hidden or deleted from here (by whom, when), held back because its author is blocked, or removed on the platform
  // itself; its text stays readable here
  function moderationBadge(message) {
    const { state: moderated, by, at } = message.moderation || {};
    if (moderated === BLOCKED) { // held back as it came, its author being blocked: by whom they were blocked
      return h('span', { class: ['badge', 'badge-blocked'], title: by },
        t('moderation.blockedBy', { who: actorName(by) }), ' · ', timeTag(at));
    }
    if (moderated) {
      return h('span', { class: ['badge', `badge-${moderated}`], title: by },
        t(moderated === 'deleted' ? 'moderation.deletedBy' : 'moderation.hiddenBy', { who: actorName(by) }), ' · ',
        timeTag(at));
    }
    return message.status === 'removed' && message.direction !== 'outbound' ? badge(eventName('removed'), 'deleted') : null;
  }

  // Hide / Unhide (whoever works the queue, no claim needed) and Delete in two steps (managers and admins), as the
  // platform offers them for this message (moderation.js, the API's table)
  function moderationTools(message, omit) {
    if (!state.feats.moderation) return null;
    const offered = moderationActions(message, manager).filter((action) => !omit.includes(action));
    if (!offered.length) return null;
    const words = { who: authorName(message), platform: platformName(message.platform) };
    const cell = h('div', { class: 'moderation', dataset: { moderate: message.id } });
    const start = () => {
      replace(cell, h('div', { class: 'toolbar' }, offered.map((action) => {
        const button = h('button', { type: 'button', class: 'secondary', dataset: { action },
          'aria-label': t(`moderation.${action}Named`, words) }, t(`moderation.${action}`));
        button.addEventListener('click', action === 'delete' ? ask : busy(button, () => moderate(message, action)));
        return button;
      })));
    };
    // deleting cannot be undone: said, with an optional reason, before anything is sent
    const ask = () => {
      const warning = h('p', { class: 'delete-warning', id: uid('delete-warning') }, t('moderation.deleteWarning', words));
      const reason = h('input', { type: 'text', maxlength: 500, autocomplete: 'off', class: 'delete-reason',
        'aria-describedby': warning.id });
      const confirm = h('button', { type: 'button', class: 'danger', dataset: { action: 'confirm-delete' },
        'aria-label': t('moderation.confirmDeleteNamed', words), 'aria-describedby': warning.id },
      t('moderation.confirmDelete'));
      const back = h('button', { type: 'button', class: 'secondary', dataset: { action: 'cancel' } }, t('moderation.cancel'));
      confirm.addEventListener('click', busy(confirm, () => moderate(message, 'delete', reason.value.trim())));
      back.addEventListener('click', () => {
        start();
        cell.querySelector('[data-action="delete"]')?.focus();
      });
      replace(cell, warning, field(t('moderation.reason'), reason), h('div', { class: 'toolbar' }, confirm, back));
      confirm.focus();
    };
    start();
    return cell;
  }

  // POST /messages/{id}/moderation, then the page as it now is: the conversation's first message hidden or deleted
  // takes the conversation out of the queues (said, with Undo); a later one is redrawn in its thread
  async function moderate(message, action, reason = '') {
    let answer;
    try {
      answer = await api(`messages/${seg(message.id)}/moderation`, {
        method: 'POST', body: { action, ...(reason ? { reason } : {}) },
      });
    } catch (error) {
      showError(moderationErrorText(error));
      // changed meantime (shown again, deleted, removed on the platform): shown as it is now
      if (error.status === 409) await loadDetail();
      return;
    }
    const platform = platformName(message.platform);
    const lists = Promise.all([loadQueues().catch(() => {}), loadList(false)]);
    if (message.id === detailId && action === 'unhide') {
      notice(t('moderation.back', { platform }));
      const title = await loadDetail();
      title?.focus();
    } else if (message.id === detailId) {
      renderModerated(answer);
      (document.getElementById('moderation-undo') || document.getElementById('detail-title')).focus();
    } else {
      const shown = messageView(answer, false);
      detailPane.querySelector(`article.message[data-id="${CSS.escape(message.id)}"]`)?.replaceWith(shown);
      notice(t(`moderation.done.${action}`, { platform }));
      const next = shown.querySelector('.moderation button'); // Unhide, or the message itself once deleted
      if (next) next.focus();
      else focusFirst([shown]);
    }
    await lists;
  }

  // the conversation's first message, hidden, deleted or removed on its platform: the conversation is out of the
  // queues (the API no longer reads it as one); the message, as the team still sees it, and Undo while it is hidden
  function renderModerated(message) {
    timers.forEach(clearInterval);
    timers.clear();
    customerRead = null;
    const moderated = message.moderation?.state || 'removed';
    const hidden = moderated === 'hidden';
    const words = { platform: platformName(message.platform) };
    const undo = hidden && moderationActions(message, manager).includes('unhide')
      ? h('button', { type: 'button', class: 'primary', id: 'moderation-undo' }, t('moderation.undo')) : null;
    undo?.addEventListener('click', busy(undo, () => moderate(message, 'unhide')));
    replace(detailPane,
      h('a', { class: 'back', href: `#/work/${encodeURIComponent(state.queue)}` }, t('detail.back')),
      h('div', { class: 'detail-head' }, h('h2', { id: 'detail-title', tabindex: '-1' }, authorName(message)),
        h('p', { class: 'row-meta' }, platformName(message.platform), ' · ', channelName(message.channel), ' · ',
          queueName(message.queue))),
      h('div', { class: 'moderated-notice', id: 'moderated', role: 'status' },
        h('p', {}, t(`moderation.gone.${moderated}`, words)),
        undo ? h('div', { class: 'toolbar' }, undo) : null),
      h('section', { class: 'thread', 'aria-label': t('detail.thread') }, messageView(message, false, ['unhide'])),
      blockView(message),
      erasureView(message),
      historyView(message));
  }

  function replyStatus(reply) {
    return badge(t(`reply.status.${reply.status}`), reply.status === 'failed' ? 'error' : null);
  }

  // a reply sent from here, in the conversation's timeline: what the customer got, who sent it, what became of it.
  // An automatic reply (the away message, the satisfaction survey), sent by the system itself, says so and which it is
  // in words where a person's name would be.
  function replyView(reply) {
    const automatic = automaticKind(reply);
    return h('article', { class: ['message outbound reply', automatic && 'automatic', isErased(reply) && 'erased'],
      dataset: { reply: reply.id, at: timeOf(reply.sent_at || reply.created_at) } },
      h('header', {},
        h('span', { class: 'author' }, t('message.brand')),
        automatic ? h('span', { class: 'automatic-label', title: reply.by || null }, t(AUTOMATIC_LABELS[automatic])) : null,
        h('span', { class: 'row-meta' }, automatic ? null : [t('reply.sentBy', { who: actorName(reply.by) }), ' · '],
          timeTag(reply.read_at || reply.delivered_at || reply.sent_at || reply.created_at)),
        reply.private ? badge(t('reply.privateBadge'), 'private') : null,
        templateOf(reply) ? badge(t('reply.templateBadge', templateOf(reply)), 'template') : null,
        replyStatus(reply)),
      textOf(reply),
      reply.error ? h('p', { class: 'error' }, errorText({ code: reply.error.code || reply.error, status: 0 })) : null);
  }

  // a team note in the timeline: set apart, never sent
  function noteView(note) {
    return h('article', { class: ['note', isErased(note) && 'erased'], dataset: { note: note.id, at: timeOf(note.created_at) } },
      h('header', {}, badge(t('notes.badge'), 'note'), ' ',
        h('span', { class: 'row-meta' }, h('span', { title: note.by }, actorName(note.by)), ' · ', timeTag(note.created_at))),
      textOf(note));
  }

  // the conversation as one timeline (Chatwoot's): its messages, the replies sent from here and the team's notes,
  // by when the API received each (one clock); the first message stays first, with "Show earlier" after it
  function timelineView(item, single) {
    if (single) return [messageView(item, true)];
    const [head, ...rest] = item.messages;
    const later = [
      ...rest.map((m) => messageView(m, false)),
      ...(item.replies || []).map(replyView),
      ...(item.notes || []).map(noteView),
    ].sort((a, b) => a.dataset.at - b.dataset.at);
    return [messageView(head, false), earlierButton(item.earlier_cursor),
      earlierRepliesButton(item.earlier_replies_cursor, item.earlier_replies), ...later].filter(Boolean);
  }

  // a long conversation's replies before the latest ones the API answers, a page at a time, each put in the
  // timeline where its time puts it
  function earlierRepliesButton(cursor, left) {
    if (!cursor || !left || !state.feats.earlierReplies) return null;
    const button = h('button', { type: 'button', class: 'secondary', id: 'earlier-replies' },
      t('detail.earlierReplies', { n: fmtNumber(left), count: left }));
    const slot = h('div', { class: 'earlier' }, button);
    button.addEventListener('click', busy(button, async () => {
      try {
        const page = await api(`conversations/${seg(detailId)}/replies?cursor=${encodeURIComponent(cursor)}`);
        const thread = slot.parentElement;
        const shown = page.replies.map(replyView);
        shown.forEach((node) => placeByTime(thread, node));
        const next = earlierRepliesButton(page.next_cursor, left - shown.length);
        if (next) slot.replaceWith(next);
        else slot.remove();
        focusFirst(shown);
      } catch (error) {
        showError(error);
      }
    }));
    return slot;
  }

  // what a "Show earlier" added: the keyboard and a screen reader go on from its first entry
  function focusFirst(nodes) {
    if (!nodes.length) return;
    nodes[0].setAttribute('tabindex', '-1');
    nodes[0].focus();
  }

  // before the first entry of the timeline that came later (the first message stays first)
  function placeByTime(thread, node) {
    const [, ...entries] = [...thread.children].filter((child) => child.dataset.at !== undefined);
    thread.insertBefore(node, entries.find((child) => Number(child.dataset.at) > Number(node.dataset.at)) || null);
  }


  // the team's internal notes: whoever may read the conversation may add one, whoever holds it; never sent
  function notesView(item) {
    if (!state.feats.notes || !Array.isArray(item.notes)) return null;
    const scope = `${detailId}:teamnote`;
    const pendingName = `pendingNote.${detailId}`;
    const box = draftBox('textarea', scope, { id: 'note-text', rows: 2, maxlength: 1000 });
    const add = h('button', { type: 'submit', class: 'secondary', id: 'add-note' }, t('notes.add'));
    const status = h('p', { class: 'form-status', role: 'status', id: 'note-status' });
    const form = h('form', { novalidate: true, class: 'note-form', 'aria-labelledby': 'notes-title' },
      field(t('notes.label'), box, t('notes.hint')), add, status);
    form.addEventListener('submit', busy(add, async () => {
      const text = box.value.trim();
      if (!text) {
        replace(status, t('notes.empty'));
        box.focus();
        return;
      }
      const pending = pendingAttempt(pendingName, text); // a double click or a retry adds it once
      try {
        await api(`conversations/${seg(detailId)}/notes`, { method: 'POST', body: { text, idempotency_key: pending.key } });
        session.set(pendingName, null);
        session.saveDraft(scope, '');
        notice(t('notes.added'));
        await loadDetail();
        document.getElementById('note-text')?.focus();
      } catch (error) {
        replace(status, errorText(error));
      }
    }));
    return h('section', { class: 'notes', 'aria-labelledby': 'notes-title' },
      h('h3', { id: 'notes-title' }, t('notes.title')), form);
  }

  // the conversation's tags (Chatwoot's labels): whoever may read it may tag it, in any state, without claiming
  // it. The chips are drawn again from each answer (all its tags now, whoever else tagged it meanwhile).
  function tagsView(item) {
    if (!state.feats.tags || item.status === 'removed') return null;
    let current = item.tags || [];
    const chips = h('ul', { class: 'tag-list', id: 'tag-list', 'aria-labelledby': 'tags-title' });
    const input = h('input', { type: 'text', id: 'tag-input', maxlength: 400, autocomplete: 'off', spellcheck: 'false' });
    const addButton = h('button', { type: 'submit', class: 'secondary', id: 'tag-add' }, t('tags.add'));
    const form = h('form', { novalidate: true, class: 'tag-form' },
      h('label', { for: 'tag-input' }, t('tags.label')),
      h('div', { class: 'tag-entry' }, input, addButton),
      h('p', { class: 'hint', id: 'tag-input-hint' }, t('tags.hint')));
    input.setAttribute('aria-describedby', 'tag-input-hint');

    async function change(body) {
      const answer = await api(`conversations/${seg(detailId)}/tags`, { method: 'POST', body });
      current = answer.tags || [];
      item.tags = current;
      draw();
      retagRow(detailId, current);
      return current;
    }
    // a 400 here is a tag the API would not keep (the checks above should have named it): say what a tag is
    const failed = (error, tags) => showError(error.status === 400
      ? t('tags.invalid', { tags: tags.join(t('history.separator')), count: tags.length }) : error);

    function draw() {
      replace(chips, current.length ? current.map((tag) => {
        const remove = h('button', { type: 'button', class: 'tag-remove', 'aria-label': t('tags.remove', { tag }),
          title: t('tags.remove', { tag }), dataset: { tag } }, '×');
        remove.addEventListener('click', busy(remove, async () => {
          const at = current.indexOf(tag);
          try {
            await change({ remove: [tag] });
            notice(t('tags.removed', { tag }));
            // the focus goes to the next chip's ×, or the one before, or the input when none is left
            const left = [...chips.querySelectorAll('.tag-remove')];
            (left[Math.min(at, left.length - 1)] || input).focus();
          } catch (error) {
            failed(error, [tag]);
          }
        }));
        return h('li', { class: 'tag', dataset: { tag } }, h('span', { class: 'tag-name' }, tag), remove);
      }) : h('li', { class: 'hint no-tags' }, t('tags.none')));
    }
    draw();

    form.addEventListener('submit', busy(addButton, async () => {
      const { tags, invalid } = parseTags(input.value);
      if (invalid.length) {
        showError(t('tags.invalid', { tags: invalid.join(t('history.separator')), count: invalid.length }));
        input.focus();
        return;
      }
      if (!tags.length) {
        showError(t('tags.empty'));
        input.focus();
        return;
      }
      if (new Set([...current, ...tags]).size > MAX_TAGS) {
        showError({ code: 'too_many_tags' });
        input.focus();
        return;
      }
      try {
        const before = new Set(current);
        const now = await change({ add: tags });
        const added = now.filter((tag) => !before.has(tag)); // as the API spells them
        const list = (added.length ? added : tags).join(t('history.separator'));
        notice(added.length ? t('tags.added', { tags: list, count: added.length })
          : t('tags.already', { tags: list, count: tags.length }));
        input.value = '';
      } catch (error) {
        failed(error, tags);
      }
      input.focus();
    }));
    return h('section', { class: 'tags', 'aria-labelledby': 'tags-title' },
      h('h3', { id: 'tags-title' }, t('tags.title')), chips, form);
  }

  // GET /conversations/{id}/customer: its first page is read once per drawing of the conversation, by the list of
  // their other conversations and by the block panel (whether they are blocked) alike
  let customerRead = null;
  function readCustomer(cursor = null) {
    if (cursor) return api(`conversations/${seg(detailId)}/customer`, { query: { cursor } });
    if (!customerRead) {
      const read = api(`conversations/${seg(detailId)}/customer`);
      customerRead = read;
      read.catch(() => { if (customerRead === read) customerRead = null; }); // a failed read is not kept
    }
    return customerRead;
  }

  // the customer's other conversations (Chatwoot's "Previous conversations"): those in queues she works, newest
  // first, a page at a time, each opening on a click. Nothing is shown when there are none.
  function customerView() {
    if (!state.feats.customer) return null;
    const list = h('ol', { class: 'customer-list', id: 'customer-list', 'aria-labelledby': 'customer-title' });
    const failed = h('p', { class: 'error', id: 'customer-error', hidden: true });
    const showMore = h('button', { type: 'button', class: 'secondary', id: 'customer-more', hidden: true }, t('customer.more'));
    const section = h('section', { class: 'customer', id: 'customer', 'aria-labelledby': 'customer-title', hidden: true },
      h('h3', { id: 'customer-title' }, t('customer.title')), list, failed, showMore);
    let cursor = null;
    async function page() {
      section.setAttribute('aria-busy', 'true');
      try {
        // a page may come back empty with a cursor (the next ones are in queues she does not work): read on a little
        for (let reads = 0; reads < 3; reads += 1) {
          const answer = await readCustomer(cursor);
          cursor = answer.next_cursor || null;
          const others = answer.conversations || [];
          list.append(...others.map((other) => customerRow(other, answer.customer?.platform)));
          if (others.length || !cursor) break;
        }
        failed.hidden = true;
      } catch (error) {
        replace(failed, errorText(error));
        failed.hidden = false;
      }
      showMore.hidden = !cursor;
      section.hidden = !list.children.length && failed.hidden;
      section.removeAttribute('aria-busy');
    }
    showMore.addEventListener('click', busy(showMore, async () => {
      const shown = list.children.length;
      await page();
      list.children[shown]?.querySelector('a')?.focus(); // on to the first one just added
    }));
    page();
    return section;
  }

  // `platform`: the customer's (the answer's `customer`), which an erased row's words may name
  function customerRow(other, platform) {
    const text = other.text || '';
    const snippet = other.text_cut || text.length > SNIPPET ? `${text.slice(0, SNIPPET)}…` : text;
    const tags = other.tags && other.tags.length ? h('ul', { class: 'tag-list', 'aria-label': t('tags.title') },
      other.tags.map((tag) => h('li', { class: 'tag' }, h('span', { class: 'tag-name' }, tag)))) : null;
    return h('li', { dataset: { id: other.id } }, h('a', {
      class: 'customer-row', href: `#/work/${encodeURIComponent(other.queue)}/${encodeURIComponent(other.id)}`,
    },
    h('span', { class: 'row-meta' }, timeTag(other.received_at), ' · ', queueName(other.queue), ' ',
      badge(statusName(other.status), other.status),
      other.message_count > 1 ? [' ', badge(t('list.messages', { n: fmtNumber(other.message_count) }))] : null),
    // no words and no `erased` (an API from before the listing said it): said, never an empty line
    text || isErased(other) ? textOf({ platform, ...other }, 'span', 'snippet', snippet)
      : h('span', { class: 'snippet erased' }, t('erasure.noWords'))), tags);
  }

  // POST /blocks answered a block that holds already, not the one just asked for
  function alreadyBlocked(status, block, asked) {
    return status === 200 || actorKeyId(block.blocked_by) !== session.keyId() || (block.reason || '') !== (asked.reason || '')
      || Boolean(block.expires_at) !== ('expires_in_days' in asked) || Boolean(block.platform_ban) !== Boolean(asked.on_platform);
  }

  // Block this customer (managers and admins; POST /blocks): in two steps, what it does said first, with an optional
  // reason and how long, and, where the platform offers one, a tick to ban them there too (until unblocked only: a
  // ban there does not end by itself); once blocked, who blocked them, since and until when, whether they are banned
  // on the platform too, and Unblock (DELETE /blocks), which lets them back there as well. An agent sees only that
  // they are blocked. Whether they are is the customer panel's answer (`blocked`).
  function blockView(item) {
    const author = item.author || {};
    if (!state.feats.blocks || !state.feats.customer || item.direction === 'outbound'
      || !blockable(item.platform, author.id)) return null;
    const name = author.name || (author.handle ? `@${author.handle}` : '');
    const words = { who: name ? t('block.who', { name }) : t('block.whoById', { id: author.id }),
      platform: platformName(item.platform) };
    const cell = h('div', { class: 'block-tools' });
    const failed = h('p', { class: 'error', role: 'alert', id: 'block-error' }); // beside the button, not at the top
    const section = h('section', { class: 'block', id: 'block', 'aria-labelledby': 'block-title', hidden: true },
      h('h3', { id: 'block-title' }, t('block.title')), cell, failed);

    const showBlocked = (block) => {
      const until = block.expires_at ? t('block.until', { until: fmtDateTime(block.expires_at) }) : t('block.untilUnblocked');
      const banned = bannedOnPlatform(block); // banned on the platform too: said, and Unblock lets them back there
      const unblock = manager ? h('button', { type: 'button', class: 'secondary', id: 'unblock',
        'aria-label': t('block.unblockNamed', words), 'aria-describedby': banned ? 'unblock-also' : null },
      t('block.unblock')) : null;
      unblock?.addEventListener('click', busy(unblock, () => unblockNow(block)));
      replace(cell,
        h('p', { class: 'blocked-notice', id: 'block-notice', tabindex: '-1' },
          h('span', { title: block.blocked_by || null }, t('block.by', { who: actorName(block.blocked_by) })), ' · ',
          timeTag(block.blocked_at), ' ', until,
          banned ? [' · ', h('span', { id: 'block-banned', title: block.platform_ban.at ? fmtDateTime(block.platform_ban.at) : null },
            t(`block.banned.${banned}`, words))] : null),
        block.reason ? h('p', { class: 'hint', id: 'block-reason' }, t('moderation.reasonShown', { reason: block.reason })) : null,
        unblock && banned ? h('p', { class: 'hint', id: 'unblock-also' }, t(`block.letBack.${banned}`, words)) : null,
        unblock ? h('div', { class: 'toolbar' }, unblock) : null);
      section.hidden = false;
    };
    const showUnblocked = () => {
      section.hidden = !manager; // an agent is told only that they are blocked
      if (!manager) return;
      const start = h('button', { type: 'button', class: 'secondary', id: 'block-start' }, t('block.start'));
      start.addEventListener('click', ask);
      replace(cell, h('p', { class: 'hint', id: 'block-what' }, t('block.what')), h('div', { class: 'toolbar' }, start));
    };
    // the question, with what it does and does not do, an optional reason and how long, before anything is sent
    const ask = () => {
      replace(failed);
      const question = h('p', { class: 'block-question', id: 'block-question' }, t('block.ask', words));
      const what = h('p', { class: 'hint', id: 'block-what' }, t('block.what'));
      const reason = h('input', { type: 'text', id: 'block-reason-input', maxlength: MAX_BLOCK_REASON, autocomplete: 'off',
        'aria-describedby': 'block-question' });
      const duration = select(DURATIONS.map((days) => [durationValue(days),
        days === null ? t('block.forever') : t('block.days', { n: fmtNumber(days), count: days })]),
      durationValue(7), { id: 'block-duration' });
      const ban = banField(duration);
      const confirm = h('button', { type: 'button', class: 'danger', id: 'block-confirm',
        'aria-label': t('block.confirmNamed', words), 'aria-describedby': 'block-question block-what' }, t('block.confirm'));
      const back = h('button', { type: 'button', class: 'secondary', id: 'block-cancel' }, t('block.cancel'));
      confirm.addEventListener('click', busy(confirm, () => blockNow(reason.value, durationDays(duration.value),
        Boolean(ban?.tick.checked && !ban.tick.disabled))));
      back.addEventListener('click', () => {
        replace(failed);
        showUnblocked();
        document.getElementById('block-start')?.focus();
      });
      replace(cell, question, what, field(t('block.reason'), reason), field(t('block.duration'), duration),
        ban?.field, h('div', { class: 'toolbar' }, confirm, back));
      confirm.focus();
    };
    // "Also ban from the Facebook Page" (the platform's own word), with what it does there; only where the platform
    // offers a ban (none on Instagram), and only with "Until unblocked": a duration unticks and disables it, and says
    // why (a ban there does not end by itself)
    const banField = (duration) => {
      const kind = state.feats.platformBans ? platformBan(item.platform) : null;
      if (!kind) return null;
      const tick = h('input', { type: 'checkbox', id: 'block-on-platform', 'aria-describedby': 'block-ban-what block-ban-timed' });
      const timed = h('p', { class: 'hint', id: 'block-ban-timed' }, t('block.banTimed', words));
      const follow = () => {
        const allowed = canBanOnPlatform(item.platform, durationDays(duration.value));
        if (!allowed) tick.checked = false;
        tick.disabled = !allowed;
        timed.hidden = allowed;
      };
      duration.addEventListener('change', follow);
      follow();
      return { tick, field: h('div', { class: 'block-ban' },
        h('label', { class: 'check', for: 'block-on-platform' }, tick, ' ', t(`block.ban.${kind}`)),
        h('p', { class: 'hint', id: 'block-ban-what' }, sentences(t(`block.banWhat.${kind}`), t('block.banFirst', words))),
        timed) };
    };
    async function blockNow(reason, days, onPlatform) {
      replace(failed);
      const body = blockBody(item.platform, author.id, reason, days, onPlatform && days === null);
      let response;
      let block;
      try {
        response = await api('blocks', { method: 'POST', body, raw: true });
        block = await response.json();
      } catch (error) {
        // a ban the platform refused: in its words, nothing stored (the question stays, to try again or untick)
        replace(failed, blockErrorText(error, item.platform));
        return;
      }
      if (disposed || !section.isConnected) return;
      showBlocked(block);
      // they were blocked already (by someone else meanwhile, or from another tab): the API answers that block,
      // unchanged (the contract says with 200; an API that answers 201 all the same is read by whose block it is),
      // but for the ban asked for, which a block without one gains
      const banned = body.on_platform ? bannedOnPlatform(block) : null;
      notice(sentences(t(alreadyBlocked(response.status, block, body) ? 'block.already' : 'block.done'),
        banned ? t(`block.bannedDone.${banned}`, words) : ''));
      (document.getElementById('unblock') || document.getElementById('block-notice'))?.focus();
    }
    async function unblockNow(block) {
      replace(failed);
      try {
        // the block lifted (`unblocked`, as it was): banned on the platform too, they were let back there as well
        const lifted = await api('blocks', { method: 'DELETE', query: { platform: block.platform, author_id: block.author_id } });
        const banned = bannedOnPlatform(lifted?.unblocked);
        notice(sentences(t('block.unblocked'), banned ? t(`block.letBackDone.${banned}`, words) : ''));
      } catch (error) {
        if (error.code !== 'unknown_block') {
          // the platform refused to let them back: nothing changed, they are still blocked (and banned there)
          replace(failed, blockErrorText(error, block.platform, true));
          return;
        }
        notice(t('block.wasNot')); // someone unblocked them meanwhile, or the block ran out: unblocked all the same
      }
      if (disposed || !section.isConnected) return;
      showUnblocked();
      document.getElementById('block-start')?.focus();
    }
    // a message held back, its conversation out of the queues (the API reads no customer panel for it): they were
    // blocked when it came; a manager may unblock them from here (one unblocked since: said when she presses it)
    const showHeldBack = () => {
      const unblock = h('button', { type: 'button', class: 'secondary', id: 'unblock',
        'aria-label': t('block.unblockNamed', words) }, t('block.unblock'));
      unblock.addEventListener('click', busy(unblock, () => unblockNow({ platform: item.platform, author_id: author.id })));
      replace(cell, h('p', { class: 'hint', id: 'block-held-back' }, t('block.heldBack')), h('div', { class: 'toolbar' }, unblock));
      section.hidden = false;
    };
    readCustomer().then((answer) => {
      if (disposed) return;
      const block = activeBlock(answer);
      if (block) showBlocked(block);
      else showUnblocked();
    }, () => {
      // no customer panel for this conversation (one out of the queues: its first message hidden, deleted or held
      // back; or the API busy): a manager may still block them (one blocked already: the API answers that block)
      if (!manager || disposed) section.hidden = true;
      else if (isHeldBack(item)) showHeldBack();
      else showUnblocked();
    });
    return section;
  }

  // Erase this customer's personal data (admins only): in two steps like Delete, what it does said first, an
  // optional reason, then POST /erasures again until the API says done (it cuts each request to its time budget),
  // the count shown as it goes; then the conversation as it now is
  function erasureView(item) {
    const author = item.author || {};
    // `unknown` is many people under one id: the API refuses to erase it as one customer (author_not_erasable)
    if (role !== 'admin' || !(state.feats.erasure || state.feats.customerData) || !author.id
      || author.id === UNKNOWN_AUTHOR || item.direction === 'outbound') return null;
    // by name, or by id once their name is gone (a later message of theirs, or a second erasure)
    const name = author.name || (author.handle ? `@${author.handle}` : '');
    const words = { who: name ? t('erasure.who', { name }) : t('erasure.whoById', { id: author.id }),
      platform: platformName(item.platform) };
    const cell = h('div', { class: 'erasure-tools' });
    const status = h('p', { class: 'form-status', role: 'status', id: 'erasure-status' });
    const failed = h('p', { class: 'error', role: 'alert', id: 'erasure-error' }); // beside the button, not at the top
    const erased = { messages: 0, conversations: 0 }; // by this form's presses so far
    // beside Erase: what is kept of them, as a JSON file (right of access); one button, kept while Erase asks
    const download = state.feats.customerData ? h('button', { type: 'button', class: 'secondary',
      id: 'customer-data-download' }, t('customerData.start')) : null;
    download?.addEventListener('click', busy(download, () => downloadData(item, status, failed)));
    const start = () => {
      const button = state.feats.erasure ? h('button', { type: 'button', class: 'secondary', id: 'erasure-start' },
        t('erasure.start')) : null;
      button?.addEventListener('click', ask);
      replace(cell, h('div', { class: 'toolbar' }, button, download));
    };
    // it cannot be undone: said, with what it changes and what it does not, before anything is sent
    const ask = () => {
      const warning = h('p', { class: 'erasure-warning', id: 'erasure-warning' }, t('erasure.warning', words));
      const unchanged = h('p', { class: 'hint', id: 'erasure-platform' }, t('erasure.platformUnchanged', words));
      const reason = h('input', { type: 'text', id: 'erasure-reason', maxlength: MAX_REASON, autocomplete: 'off',
        'aria-describedby': 'erasure-warning' });
      const confirm = h('button', { type: 'button', class: 'danger', id: 'erasure-confirm',
        'aria-describedby': 'erasure-warning erasure-platform' }, t('erasure.confirm'));
      const back = h('button', { type: 'button', class: 'secondary', id: 'erasure-cancel' }, t('erasure.cancel'));
      confirm.addEventListener('click', busy(confirm, () => erase(item, reason.value.trim(), status, failed, erased)));
      back.addEventListener('click', () => {
        replace(status);
        replace(failed);
        start();
        document.getElementById('erasure-start')?.focus();
      });
      replace(cell, warning, unchanged, field(t('erasure.reason'), reason), h('div', { class: 'toolbar' }, confirm, back));
      confirm.focus();
    };
    start();
    return h('section', { class: 'erasure', id: 'erasure', 'aria-labelledby': 'erasure-title' },
      h('h3', { id: 'erasure-title' }, t('erasure.title')),
      state.feats.erasure ? h('p', { class: 'hint' }, t('erasure.hint')) : null, cell, status, failed);
  }

  // Download this customer's data: GET /customer-data page after page (following next_cursor), the count read shown
  // as it goes, then one JSON file; nothing of it is shown on the page (no customer's words parsed, nor even shown)
  async function downloadData(item, status, failed) {
    const { platform } = item;
    const authorId = item.author.id;
    replace(failed);
    replace(status, t('customerData.working'));
    let result;
    try {
      result = await readAll((cursor) => api('customer-data', { query: { platform, author_id: authorId, cursor } }),
        (n) => replace(status, t('customerData.progress', { n: fmtNumber(n), count: n })));
    } catch (error) {
      replace(status);
      replace(failed, erasureErrorText(error),
        error.readSoFar ? ` ${t('customerData.failedAfter', { n: fmtNumber(error.readSoFar) })}` : '');
      return;
    }
    if (!result.done) {
      replace(status);
      replace(failed, t('customerData.unfinished', { pages: fmtNumber(MAX_PAGES), n: fmtNumber(result.messages.length) }));
      return;
    }
    const file = dataDocument(platform, authorId, result.messages);
    const blob = new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' });
    const link = h('a', { href: URL.createObjectURL(blob), download: dataFileName(platform, authorId),
      class: 'visually-hidden' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    replace(status);
    const n = result.messages.length;
    notice(t('customerData.done', { n: fmtNumber(n), count: n }));
  }

  // `earlier`: what this form's earlier presses erased before they stopped (a refusal, the rounds' limit): a press
  // that finishes counts from the first, so the admin reads the whole erasure, not its last part
  async function erase(item, reason, status, failed, earlier) {
    const body = { platform: item.platform, author_id: item.author.id, ...(reason ? { reason } : {}) };
    const plus = (part) => ({ messages: earlier.messages + part.messages, conversations: earlier.conversations + part.conversations });
    replace(failed);
    replace(status, t('erasure.working'));
    let total;
    try {
      total = await eraseAll(body, (request) => api('erasures', { method: 'POST', body: request }), (part) => {
        const sofar = plus(part).messages;
        replace(status, t('erasure.progress', { n: fmtNumber(sofar), count: sofar }));
      });
    } catch (error) {
      replace(status);
      Object.assign(earlier, plus(error.erasedSoFar || { messages: 0, conversations: 0 }));
      replace(failed, erasureErrorText(error), earlier.messages ? ` ${t('erasure.failedAfter', { n: fmtNumber(earlier.messages) })}` : '');
      return;
    }
    Object.assign(earlier, plus(total));
    if (!total.done) {
      replace(status, t('erasure.unfinished', { n: fmtNumber(earlier.messages) }));
      return;
    }
    if (disposed) return; // the erasure went on to its end; the page shows something else now
    notice(earlier.messages || earlier.conversations ? t('erasure.done', {
      messages: fmtNumber(earlier.messages), conversations: fmtNumber(earlier.conversations) }) : t('erasure.nothing'));
    // the list's rows show the erased words too
    const lists = Promise.all([loadQueues().catch(() => {}), loadList(false)]);
    const title = await loadDetail();
    title?.focus();
    await lists;
  }

  function windowLine(window) {
    if (!window) return null;
    if (window.open) {
      const line = window.closes_at
        ? t('reply.windowOpen', { until: fmtDateTime(window.closes_at) })
        : t('reply.noLimit');
      return h('p', { class: 'window open', id: 'reply-window' }, line,
        window.messaging_type ? ` (${window.messaging_type})` : '');
    }
    return h('p', { class: 'window closed', id: 'reply-window' },
      t('reply.windowClosed', { reason: window.reason ? t(`window.${window.reason}`, {}, window.reason) : '' }));
  }

  // saved replies (approved answers): read once per view; none when the API has none or cannot say
  async function loadSaved() {
    if (state.saved || !state.feats.savedReplies) return;
    try {
      state.saved = (await api('saved-replies')).saved_replies || [];
    } catch {
      state.saved = null; // the reply box still works; the next conversation tries again
    }
  }

  // a saved reply's text where the cursor is, with the customer's name filled in (`keepName`: left for the API to
  // fill in, in a bulk reply); those approved for each of `queues`
  function savedPicker(item, box, scope, { id = 'saved-reply', queues = [item.queue], keepName = false } = {}) {
    const usable = (state.saved || []).filter((s) => !s.queues.length || queues.every((q) => s.queues.includes(q)));
    if (!usable.length) return null;
    // those written for the conversation's language first, then those for any language, then the rest
    const rank = (s) => (s.language === item.language ? 0 : s.language ? 2 : 1);
    const sorted = [...usable].sort((a, b) => rank(a) - rank(b));
    const picker = select([['', t('saved.choose')], ...sorted.map((s) => [s.id, s.language && s.language !== item.language
      ? `${s.title} (${t(`filter.language.${s.language}`)})` : s.title])], '', { id });
    picker.addEventListener('change', () => {
      const chosen = usable.find((s) => s.id === picker.value);
      picker.value = '';
      if (!chosen) return;
      const author = item.author || {};
      const name = author.name || (author.handle ? `@${author.handle}` : '') || t('saved.customer');
      const text = keepName ? chosen.text : chosen.text.split('{{customer_name}}').join(name);
      const start = box.selectionStart ?? box.value.length;
      const end = box.selectionEnd ?? box.value.length;
      box.value = `${box.value.slice(0, start)}${text}${box.value.slice(end)}`.slice(0, 4000);
      session.saveDraft(scope, box.value);
      box.dispatchEvent(new Event('input')); // its length is counted again
      box.focus();
      box.setSelectionRange(start + text.length, start + text.length);
      notice(t('saved.inserted', { title: chosen.title }));
    });
    return field(t('saved.label'), picker);
  }

  // the WhatsApp templates (read once per view, when a WhatsApp conversation first needs them; null: not readable,
  // read again for the next conversation)
  async function readTemplates() {
    if (state.templates) return state.templates;
    try {
      state.templates = (await api('whatsapp-templates')).templates || [];
    } catch {
      state.templates = undefined;
      return null;
    }
    return state.templates;
  }

  // Send a template (views/template_reply.js): on a WhatsApp conversation, the only way to write once 24 hours passed
  function templateForm(item, lost) {
    return templateReplyView(item, {
      conversation: detailId, readTemplates, canManage: manager,
      forget: () => { state.templates = undefined; },
      sent: () => loadDetail(),
      refused: (error) => {
        if (leaseLost(error)) {
          lost(error);
          return true;
        }
        return false;
      },
    });
  }

  function replyForm(item, lost) {
    const scope = `${detailId}:reply`;
    const pendingName = `pending.${detailId}`;
    const box = draftBox('textarea', scope, { id: 'reply-text', rows: 4, maxlength: 4000 });
    const open = !item.reply_window || item.reply_window.open !== false;
    const send = h('button', { type: 'submit', class: 'primary', id: 'send-reply', disabled: !open }, t('reply.send'));
    const status = h('p', { class: 'form-status', role: 'status', id: 'reply-status' });
    // after a 429 Send stays disabled until its Retry-After has passed, a double click's second click included
    let retryAt = 0;
    // a Facebook or Instagram comment may be answered once by a DM to its author (when the API offers it)
    const privately = state.feats.privateReplies && ['facebook', 'instagram'].includes(item.platform)
      && ['comment', 'reply'].includes(item.channel)
      ? h('input', { type: 'checkbox', id: 'reply-private', 'aria-describedby': 'reply-private-hint' }) : null;
    // what is left of the platform's limit, counted as the platform counts (a reply too long is never sent)
    const limitOf = () => (privately?.checked ? item.reply_window?.private_text_limit : item.reply_window?.text_limit);
    const count = h('p', { class: 'hint reply-count', id: 'reply-count', 'aria-live': 'polite' });
    const recount = () => {
      const limit = limitOf();
      const left = remaining(box.value.trim(), limit);
      count.classList.toggle('over', left !== null && left < 0);
      replace(count, left === null ? '' : t(left < 0 ? 'reply.over' : 'reply.left', { n: fmtNumber(Math.abs(left)),
        limit: fmtNumber(limit.limit), unit: t(`reply.unit.${limit.unit}`, {}, limit.unit) }));
    };
    box.addEventListener('input', recount);
    privately?.addEventListener('change', recount);
    recount();
    const form = h('form', { novalidate: true, class: 'reply-form', 'aria-labelledby': 'reply-title' },
      h('h3', { id: 'reply-title' }, t('reply.title')),
      windowLine(item.reply_window),
      savedPicker(item, box, scope),
      field(t('reply.text'), box),
      count,
      privately ? h('div', { class: 'field' }, h('label', { class: 'check', for: 'reply-private' }, privately, ' ',
        t('reply.private')), h('p', { class: 'hint', id: 'reply-private-hint' }, t('reply.privateHint'))) : null,
      send, status);
    form.addEventListener('submit', busy(send, async () => {
      const text = box.value.trim();
      if (!text) {
        replace(status, t('reply.empty'));
        box.focus();
        return;
      }
      const over = remaining(text, limitOf());
      if (over !== null && over < 0) {
        replace(status, t('reply.tooLong', { n: fmtNumber(-over) }));
        box.focus();
        return;
      }
      const isPrivate = Boolean(privately?.checked);
      const pending = pendingAttempt(pendingName, text, isPrivate); // the customer never gets the reply twice
      replace(status, t('reply.sending'));
      try {
        await api(`conversations/${seg(detailId)}/replies`, {
          method: 'POST', body: { text, idempotency_key: pending.key, ...(isPrivate ? { private: true } : {}) },
        });
        session.set(pendingName, null);
        session.saveDraft(scope, '');
        box.value = '';
        notice(t('reply.sent'));
        await loadDetail();
      } catch (error) {
        if (leaseLost(error)) lost(error);
        else if (error.status === 429) {
          const seconds = error.retryAfter ?? 30;
          retryAt = Date.now() + seconds * 1000;
          replace(status, t('error.rate_limited_for', { seconds: fmtNumber(seconds) }));
          timers.add(setTimeout(() => { send.disabled = false; }, seconds * 1000));
        } else replace(status, errorText(error));
      }
    }, () => Date.now() >= retryAt));
    return form;
  }

  function actions(item, lost) {
    const post = (action, body, done) => async () => {
      try {
        await api(`${base()}/${seg(detailId)}/${action}`, { method: 'POST', body });
        for (const scope of ['note', 'reason']) session.saveDraft(`${detailId}:${scope}`, '');
        notice(done);
        go('work', state.queue);
      } catch (error) {
        if (leaseLost(error)) lost(error);
        else showError(error);
      }
    };
    const note = draftBox('textarea', `${detailId}:note`, { id: 'resolve-note', rows: 2, maxlength: 2000 });
    const resolve = h('button', { type: 'submit', class: 'primary', id: 'resolve' }, t('action.resolve'));
    const resolveForm = h('form', { novalidate: true, class: 'action', 'aria-labelledby': 'resolve-title' },
      h('h3', { id: 'resolve-title' }, t('action.resolveTitle')), field(t('action.note'), note), resolve);
    resolveForm.addEventListener('submit', busy(resolve, () => post('resolve', note.value.trim()
      ? { note: note.value.trim() } : {}, t('action.resolved'))()));

    const release = h('button', { type: 'button', class: 'secondary', id: 'release' }, t('action.release'));
    release.addEventListener('click', busy(release, post('release', undefined, t('action.released'))));

    const until = select(SNOOZES.map((seconds) => [String(seconds), fmtDuration(seconds)]), String(3600), { id: 'snooze-for' });
    const snooze = h('button', { type: 'submit', class: 'secondary', id: 'snooze' }, t('action.snooze'));
    const snoozeForm = h('form', { novalidate: true, class: 'action inline', 'aria-labelledby': 'snooze-title' },
      h('h3', { id: 'snooze-title' }, t('action.snoozeTitle')), field(t('action.snoozeFor'), until), snooze);
    snoozeForm.addEventListener('submit', busy(snooze, () => {
      const at = new Date(Date.now() + Number(until.value) * 1000);
      return post('snooze', { until: at.toISOString() }, t('action.snoozed', { until: fmtDateTime(at.toISOString()) }))();
    }));

    const targets = QUEUES.filter((q) => q !== item.queue);
    const target = select(targets.map((q) => [q, queueName(q)]), targets[0], { id: 'reroute-queue' });
    const reason = draftBox('input', `${detailId}:reason`, { id: 'reroute-reason', type: 'text', maxlength: 500, required: true });
    const reroute = h('button', { type: 'submit', class: 'secondary', id: 'reroute' }, t('action.reroute'));
    const rerouteForm = h('form', { novalidate: true, class: 'action', 'aria-labelledby': 'reroute-title' },
      h('h3', { id: 'reroute-title' }, t('action.rerouteTitle')),
      field(t('action.rerouteTo'), target), field(t('action.reason'), reason), reroute);
    rerouteForm.addEventListener('submit', busy(reroute, () => {
      if (!reason.value.trim()) {
        showError(t('action.reasonNeeded'));
        reason.focus();
        return undefined;
      }
      return post('reroute', { queue: target.value, reason: reason.value.trim() },
        t('action.rerouted', { queue: queueName(target.value) }))();
    }));

    return h('div', { class: 'actions' }, resolveForm,
      h('div', { class: 'action inline' }, h('h3', {}, t('action.releaseTitle')), release), snoozeForm, rerouteForm);
  }

  // a routing rule decided the queue: said above the deciding terms, with the model's own verdict
  function routedByView(triage) {
    const rule = routedBy(triage);
    if (!rule) return null;
    return h('p', { class: 'routed-by', id: 'routed-by', title: t('detail.routedByTitle') },
      t('detail.routedBy', { name: rule.name, queue: queueName(rule.modelCategory) }));
  }

  function triageView(item) {
    const triage = item.triage || {};
    const terms = triage.top_terms || [];
    return h('section', { class: 'triage', 'aria-labelledby': 'triage-title' },
      h('h3', { id: 'triage-title' }, t('detail.triage')),
      h('dl', { class: 'facts' },
        h('dt', {}, t('detail.category')), h('dd', {}, queueName(triage.category)),
        h('dt', {}, t('detail.confidence')), h('dd', {}, fmtPercent(triage.confidence)),
        h('dt', {}, t('detail.model')), h('dd', {}, triage.model_version || '—'),
        // the second opinion replaced the webhook model's verdict: show what it replaced
        triage.first_opinion ? h('dt', {}, t('detail.firstOpinion')) : null,
        triage.first_opinion ? h('dd', {}, t('detail.firstOpinionValue', {
          category: queueName(triage.first_opinion.category), confidence: fmtPercent(triage.first_opinion.confidence) }))
          : null,
        h('dt', {}, t('detail.priority')), h('dd', {}, fmtNumber(item.priority)),
        h('dt', {}, t('detail.reasons')), h('dd', {}, (item.priority_reasons || []).map((r) => h('span', { class: 'reason' }, reasonText(r))))),
      routedByView(triage),
      h('h4', {}, t('detail.terms')),
      terms.length
        ? h('ul', { class: 'terms' }, terms.map((term) => h('li', {}, h('span', { class: 'term' }, term.term), ' ',
          h('span', { class: 'weight' }, fmtNumber(term.weight, { maximumFractionDigits: 2 })))))
        : h('p', { class: 'hint' }, t(item.erased ? 'detail.termsErased' : 'detail.noTerms')));
  }

  function historyView(item) {
    const corrections = item.corrections || [];
    return h('section', { class: 'history', 'aria-labelledby': 'history-title' },
      h('h3', { id: 'history-title' }, t('detail.history')),
      h('ol', {}, (item.history || []).map((entry) => h('li', {},
        timeTag(entry.at), ' ', h('strong', {}, eventName(entry.event)), ' · ',
        entry.event === 'tagged' ? h('span', { title: entry.actor, class: 'tagged' }, taggedText(entry))
          : entry.event === 'assigned' ? h('span', { title: entry.actor, class: 'assigned' }, assignedText(entry))
          : [h('span', { title: entry.actor }, actorName(entry.actor)),
            entry.details ? h('span', { class: 'details' }, ' — ', Object.entries(entry.details)
              .map(([name, value]) => historyDetail(entry.event, name, value))
              .join(t('history.separator'))) : null]))),
      item.history_dropped ? h('p', { class: 'hint' }, t('detail.historyDropped', { n: fmtNumber(item.history_dropped), count: item.history_dropped })) : null,
      corrections.length ? h('h4', {}, t('detail.corrections')) : null,
      corrections.length ? h('ul', {}, corrections.map((c) => h('li', {},
        t('detail.correction', { from: queueName(c.from), to: queueName(c.to), by: c.by }), ' · ', timeTag(c.at),
        c.reason ? [' — ', c.reason] : null))) : null); // an erased conversation keeps no reasons
  }

  function renderDetail(item, lostLease = false) {
    timers.forEach(clearInterval);
    timers.clear();
    customerRead = null; // the customer panel reads them again: a block made meanwhile shows
    // a lease lost while working: the conversation as it is now, under a banner that says so (what was typed
    // stays in its draft)
    const canAct = mine(item) || (manager && ['open', 'claimed', 'snoozed'].includes(item.status));
    // drafts no form shows any more (the conversation is not hers now): kept where she can copy them
    const kept = canAct ? [] : ['reply', 'note', 'reason'].map((scope) => session.draft(`${detailId}:${scope}`)).filter(Boolean);
    const banner = lostLease ? h('div', { class: 'lease-lost', role: 'alert', id: 'lease-lost' },
      h('p', {}, h('strong', {}, t('lease.lostTitle'))),
      h('p', {}, t('lease.lost')),
      kept.length ? h('p', { class: 'hint' }, t('lease.kept')) : null,
      ...kept.map((text) => h('blockquote', { class: 'kept-draft' }, text)),
      h('div', { class: 'toolbar' },
        takeable(item) && state.feats.take ? null
          : h('button', { type: 'button', class: 'secondary', onclick: () => loadDetail() }, t('lease.reload')),
        h('button', { type: 'button', class: 'secondary', onclick: () => claimButton.click() }, t('claim.next')))) : null;
    const lost = () => loadDetail(true);
    const single = !Array.isArray(item.messages);
    rated = ratingOf(item);
    const shown = timelineView(item, single);
    const title = h('h2', { id: 'detail-title', tabindex: '-1' }, authorName(item));
    const thread = h('section', { class: 'thread', 'aria-label': t('detail.thread') }, shown);
    const changed = h('div', { class: 'hint changed', id: 'detail-changed', role: 'status', hidden: true },
      t('detail.changed'), ' ',
      h('button', { type: 'button', class: 'secondary', id: 'detail-show-now', onclick: () => loadDetail() }, t('detail.showNow')));
    if (!single) follow(item, thread, changed);
    replace(detailPane,
      h('a', { class: 'back', href: `#/work/${encodeURIComponent(state.queue)}` }, t('detail.back')),
      h('div', { class: 'detail-head' }, title,
        h('p', { class: 'row-meta' },
          platformName(item.platform), ' · ', channelName(item.channel), ' · ', queueName(item.queue), ' ',
          badge(statusName(item.status), item.status), ' ',
          item.needs_review ? badge(t('badge.needsReview'), 'review') : null, ' ', slaBadge(item)),
        satisfactionLine(item),
        state.feats.filters && item.author && item.author.id ? h('button', {
          type: 'button', class: 'link', id: 'from-author',
          onclick: () => {
            setFilter('author', item.author.id);
            document.getElementById('list-title')?.scrollIntoView();
          },
        }, t('detail.fromAuthor')) : null),
      leaseLine(item),
      banner,
      item.status === 'snoozed' && item.snoozed_until
        ? h('p', { class: 'lease', id: 'snoozed-until' }, t('detail.snoozedUntil', { until: fmtDateTime(item.snoozed_until) })) : null,
      item.status === 'claimed' && !mine(item) && !takeable(item) && !manager ? h('p', { class: 'hint' }, t('detail.notYours')) : null,
      item.status === 'open' && !manager && !state.feats.take ? h('p', { class: 'hint' }, t('detail.claimFirst')) : null,
      takeButton(item),
      single ? null : reopenView(item),
      single ? null : assignView(item),
      single ? null : tagsView(item),
      changed,
      thread,
      canAct && state.feats.replies && !single ? replyForm(item, lost) : null,
      canAct && state.feats.templateReplies && !single && item.platform === 'whatsapp' ? templateForm(item, lost) : null,
      single ? null : notesView(item),
      canAct ? actions(item, lost) : null,
      // context, after the work itself: the thread and the reply box stay at the top however many there are
      single ? null : customerView(),
      single ? null : blockView(item),
      single ? null : erasureView(item),
      item.resolution_note ? h('p', {}, t('detail.note'), ': ', item.resolution_note) : null,
      triageView(item),
      historyView(item));
    if (banner) banner.querySelector('button').focus();
    return title;
  }

  // The open conversation follows its thread, as a chat does: read again every FOLLOW_MS while the tab is visible,
  // and on coming back to it. Customer messages that joined are added to the thread and announced (the reply
  // window moves with them); any other change (someone else's claim, reply or note, a resolve, another queue) is
  // offered, never redrawn under what she is typing.
  let followTick = null;
  const onVisible = () => followTick?.();
  document.addEventListener('visibilitychange', onVisible);

  function follow(item, thread, changed) {
    const id = detailId;
    const shownIds = new Set(item.messages.map((m) => m.id));
    // an erasure made meanwhile (by another admin, or its author deleting a message on the platform) is a change too,
    // and so is the survey sent or rated meanwhile
    const signature = (c) => JSON.stringify([c.status, c.queue, c.claimed_by || null, c.snoozed_until || null, ratingOf(c),
      (c.replies || []).map((r) => [r.id, r.status, isErased(r)]), (c.notes || []).map(isErased),
      c.messages.filter(isErased).map((m) => m.id)]);
    const before = signature(item);
    let reading = false;
    let gone = false;
    const tick = async () => {
      if (gone || reading || document.visibilityState !== 'visible' || detailId !== id || !thread.isConnected) return;
      reading = true;
      let now;
      try {
        now = await api(`conversations/${seg(id)}`);
      } catch (error) {
        if (error.status === 404 && detailId === id && thread.isConnected) {
          // moved to a queue she does not work, or removed: said once, and no longer read every FOLLOW_MS
          gone = true;
          changed.firstChild.textContent = t('detail.gone');
          changed.hidden = false;
        }
        return; // anything else: the next tick tries again; an action says what is wrong
      } finally {
        reading = false;
      }
      if (detailId !== id || !thread.isConnected) return;
      const joined = now.messages.filter((m) => !shownIds.has(m.id));
      if (joined.length) {
        joined.forEach((m) => shownIds.add(m.id));
        rated = ratingOf(now); // a rating or a comment among them is marked as one
        thread.append(...joined.map((m) => messageView(m, false)));
        const inbound = joined.filter((m) => m.direction !== 'outbound');
        if (inbound.length) notice(t('detail.newMessages', { n: fmtNumber(inbound.length), count: inbound.length }));
        const windowNow = windowLine(now.reply_window);
        if (windowNow) document.getElementById('reply-window')?.replaceWith(windowNow);
        const send = document.getElementById('send-reply');
        if (send && now.reply_window) send.disabled = now.reply_window.open === false;
      }
      changed.hidden = signature(now) === before;
    };
    followTick = tick;
    timers.add(setInterval(tick, FOLLOW_MS));
  }

  async function loadDetail(lostLease = false) {
    try {
      const [item] = await Promise.all([api(`${base()}/${seg(detailId)}`), loadSaved()]);
      return renderDetail(item, lostLease);
    } catch (error) {
      // a conversation whose first message was hidden or deleted (from here or on the platform): that message, to
      // show it again or delete it
      const moderated = error.status === 404 && state.feats.moderation
        ? await api(`messages/${seg(detailId)}`).catch(() => null) : null;
      if (moderated?.status === 'removed') {
        renderModerated(moderated);
        return detailPane.querySelector('#detail-title');
      }
      replace(detailPane,
        h('a', { class: 'back', href: `#/work/${encodeURIComponent(state.queue)}` }, t('detail.back')),
        h('h2', { id: 'detail-title', tabindex: '-1' }, t('detail.unavailable')),
        h('p', { class: 'error' }, errorText(error)));
      return null;
    }
  }

  // start ----------------------------------------------------------------------------------------------
  (async () => {
    try {
      state.feats = await features();
      await loadQueues();
    } catch (error) {
      showError(error);
      return;
    }
    const visible = state.queues.map((q) => q.queue);
    state.queue = [queueArg, session.get('queue'), visible[0]].find((q) => q && visible.includes(q));
    if (!state.queue) {
      replace(listPane, h('p', {}, t('queues.none')));
      return;
    }
    session.set('queue', state.queue);
    renderOverview();
    renderListPane();
    const listed = loadList(false);
    if (detailId) {
      const title = await loadDetail();
      if (title) title.focus();
    } else if (document.activeElement === document.body || !document.activeElement) {
      claimButton.focus(); // after resolving or releasing, the next step is the next conversation
    }
    await listed;
  })();

  return {
    dispose() {
      disposed = true;
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('visibilitychange', refreshCounts);
      document.removeEventListener('visibilitychange', onVisible);
      clearInterval(poll);
      timers.forEach(clearInterval);
    },
  };
}
