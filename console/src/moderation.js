// What each platform lets the brand do to a customer's comment from the inbox (POST /messages/{id}/moderation):
// the console's copy of chalicelib/domain/moderation.py's SUPPORTED and MANAGER_ONLY, which
// tests/test_console_moderation.py holds to the same values. The API refuses anything else; the console offers
// only what it would accept, so no button leads to a refusal.
export const ACTIONS = ['hide', 'unhide', 'delete'];
export const MANAGER_ONLY = ['delete']; // deleting cannot be undone: managers and admins (an agent hides)

export const SUPPORTED = {
  'facebook/comment': ['hide', 'unhide', 'delete'],
  'facebook/reply': ['hide', 'unhide', 'delete'],
  'instagram/comment': ['hide', 'unhide', 'delete'],
  'instagram/reply': ['hide', 'unhide', 'delete'],
  'x/reply': ['hide', 'unhide'],
  'telegram/comment': ['delete'],
  'telegram/reply': ['delete'],
};

// what this person may do to the message as it is now, in ACTIONS order: hide a shown one, unhide a hidden one,
// delete either (managers); nothing for the brand's own messages, a deleted one, or one removed on the platform. One
// held back because its author is blocked (state `blocked`) may only be deleted (managers): hidden, its Unhide would
// put it in a queue, which the block is there to prevent
export function moderationActions(message, manager) {
  if (message.direction === 'outbound') return [];
  const offered = SUPPORTED[`${message.platform}/${message.channel}`] || [];
  const state = message.moderation?.state;
  if (state === 'deleted' || (message.status === 'removed' && !state)) return [];
  if (state === 'blocked') return offered.filter((action) => action === 'delete' && manager);
  return offered.filter((action) => (manager || !MANAGER_ONLY.includes(action))
    && (action === 'hide' ? !state : action === 'unhide' ? state === 'hidden' : true));
}
