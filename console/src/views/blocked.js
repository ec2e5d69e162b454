// The blocked customers (managers, admins; GET /blocks, newest first, a page at a time): who, on which platform,
// why, who blocked them, since and until when, whether they are banned on the platform too; Unblock on each row in
// two steps (DELETE /blocks), its question saying when it lets them back on the platform too. A customer is blocked
// from their conversation's customer panel (views/agent.js).
import { api, features } from '../api.js';
import { h, replace } from '../dom.js';
import { blockErrorText, errorText, platformName, sentences, t, timeTag } from '../i18n.js';
import { addPage, bannedOnPlatform, blockedName, nextCursor, unblockQuery } from '../blocks.js';
import { busy, notice, showError } from '../ui.js';

// "manager:Mia (0123456789abcdef)" -> "Mia"; a system actor as it is
function actorName(actor) {
  return String(actor || '').replace(/^(agent|manager|admin):/, '').replace(/\s*\([0-9a-f]{16}\)$/, '') || '—';
}

// the customer as the row and its buttons name them: name, @handle, else their id
function who(block) {
  return blockedName(block) || t('block.whoById', { id: block.author_id });
}

export function mountBlocked(container) {
  let disposed = false;
  let shown = []; // the rows read so far, in the API's order
  let cursor = null;
  const status = h('p', { class: 'loading', id: 'blocks-loading' }, t('blocks.loading'));
  const failed = h('p', { class: 'error', role: 'alert', id: 'blocks-error', hidden: true });
  const body = h('tbody', { id: 'blocks-rows' });
  const table = h('table', { id: 'blocks-table', hidden: true },
    h('caption', { class: 'visually-hidden' }, t('blocks.title')),
    h('thead', {}, h('tr', {}, ['blocks.customer', 'blocks.platform', 'blocks.authorId', 'blocks.reason', 'blocks.by',
      'blocks.at', 'blocks.until', 'blocks.onPlatform', 'blocks.actions'].map((key) => h('th', { scope: 'col' }, t(key))))),
    body);
  const empty = h('p', { class: 'empty', id: 'blocks-empty', hidden: true }, t('blocks.empty'));
  const more = h('button', { type: 'button', class: 'secondary', id: 'blocks-more', hidden: true }, t('blocks.more'));
  const panel = h('section', { class: 'panel blocks-panel', 'aria-labelledby': 'blocks-title' },
    h('h2', { id: 'blocks-title', tabindex: '-1' }, t('blocks.title')), status, failed, table, empty, more);

  function unblockCell(block) {
    const cell = h('td', { class: 'actions-cell' });
    const named = { who: who(block), platform: platformName(block.platform) };
    const banned = bannedOnPlatform(block);
    const start = () => {
      const button = h('button', { type: 'button', class: 'secondary', dataset: { action: 'unblock' },
        'aria-label': t('block.unblockNamed', named) }, t('block.unblock'));
      button.addEventListener('click', ask);
      replace(cell, button);
    };
    const ask = () => {
      const question = h('p', { class: 'unblock-question' },
        sentences(t('blocks.ask', named), banned ? t(`block.letBack.${banned}`, named) : ''));
      const confirm = h('button', { type: 'button', class: 'primary', dataset: { action: 'confirm-unblock' },
        'aria-label': t('blocks.confirmNamed', named) }, t('blocks.confirm'));
      const back = h('button', { type: 'button', class: 'secondary', dataset: { action: 'cancel' } }, t('block.cancel'));
      confirm.addEventListener('click', busy(confirm, () => unblock(block)));
      back.addEventListener('click', () => {
        start();
        cell.querySelector('button').focus();
      });
      replace(cell, question, confirm, ' ', back);
      confirm.focus();
    };
    start();
    return cell;
  }

  async function unblock(block) {
    try {
      const lifted = await api('blocks', { method: 'DELETE', query: unblockQuery(block) });
      const banned = bannedOnPlatform(lifted?.unblocked); // let back on the platform too
      notice(sentences(t('block.unblocked'),
        banned ? t(`block.letBackDone.${banned}`, { platform: platformName(block.platform) }) : ''));
    } catch (error) {
      // already unblocked (by someone else, or it ran out): said, and the list shows it gone all the same
      if (error.code === 'unknown_block') notice(t('block.wasNot'));
      else {
        // the platform refused to let them back: in its words; nothing changed, the row stays
        showError(blockErrorText(error, block.platform, true));
        return;
      }
    }
    shown = shown.filter((b) => !(b.platform === block.platform && b.author_id === block.author_id));
    draw();
    document.getElementById('blocks-title')?.focus();
  }

  // banned on the platform too: a badge in the platform's words ("Banned from the Facebook Page"), else a dash
  function onPlatform(block) {
    const banned = bannedOnPlatform(block);
    if (!banned) return '—';
    return h('span', { class: ['badge', 'badge-banned'], title: block.platform_ban.at || null },
      t(`block.onPlatform.${banned}`, { platform: platformName(block.platform) }));
  }

  function row(block) {
    const name = blockedName(block);
    return h('tr', { dataset: { platform: block.platform, authorId: block.author_id } },
      h('th', { scope: 'row', class: 'blocked-name' }, name || '—'),
      h('td', {}, platformName(block.platform)),
      h('td', { class: 'blocked-id' }, h('code', {}, block.author_id)),
      h('td', { class: 'blocked-reason' }, block.reason || '—'),
      h('td', { title: block.blocked_by || null }, actorName(block.blocked_by)),
      h('td', {}, timeTag(block.blocked_at)),
      h('td', {}, block.expires_at ? timeTag(block.expires_at) : t('block.forever')),
      h('td', { class: 'blocked-on-platform' }, onPlatform(block)),
      unblockCell(block));
  }

  function draw() {
    replace(body, shown.map(row));
    table.hidden = !shown.length;
    empty.hidden = Boolean(shown.length) || Boolean(cursor);
    more.hidden = !cursor;
  }

  async function page() {
    failed.hidden = true;
    let answer;
    try {
      answer = await api('blocks', { query: { cursor } });
    } catch (error) {
      if (disposed) return;
      status.hidden = true;
      replace(failed, errorText(error));
      failed.hidden = false;
      return;
    }
    if (disposed) return;
    status.hidden = true;
    shown = addPage(shown, answer);
    cursor = nextCursor(answer);
    draw();
  }

  more.addEventListener('click', busy(more, async () => {
    const before = shown.length;
    await page();
    body.children[before]?.querySelector('button')?.focus(); // on to the first row just added
    if (!body.children[before]) document.getElementById('blocks-title')?.focus();
  }));

  replace(container, h('div', { class: 'blocks' },
    h('h1', {}, t('blocks.heading')),
    h('p', { class: 'intro' }, t('blocks.intro')),
    panel));
  (async () => {
    try {
      const feats = await features();
      if (!feats.blocks) {
        status.hidden = true;
        replace(failed, t('blocks.unavailable'));
        failed.hidden = false;
        return;
      }
    } catch (error) {
      showError(error);
      return;
    }
    await page();
  })();
  return {
    dispose() {
      disposed = true;
    },
  };
}
