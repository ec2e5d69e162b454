// The API, same origin: this script is served at <api>/console/<name>.js, so the API is its parent folder,
// with or without a stage prefix (/api/console/... -> /api/). The key goes only in the Authorization header.
import { session } from './session.js';

export const API_BASE = new URL('../', import.meta.url);

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export function apiUrl(path, query) {
  const url = new URL(path.replace(/^\//, ''), API_BASE);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
  }
  return url;
}

export function seg(value) {
  return encodeURIComponent(value);
}

// `raw`: the Response itself (CSV); otherwise parsed JSON, null for 204
export async function api(path, { method = 'GET', body, query, raw = false, key } = {}) {
  const headers = { Accept: raw ? '*/*' : 'application/json' };
  const secret = key ?? session.key();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'the API did not answer');
  }
  if (!response.ok) {
    let code = `http_${response.status}`;
    let message = '';
    try {
      const payload = await response.json();
      code = payload.error.code || code;
      message = payload.error.message || '';
    } catch { /* not our error shape (a proxy's page): the status speaks */ }
    const retry = Number.parseInt(response.headers.get('Retry-After') || '', 10);
    const error = new ApiError(response.status, code, message, Number.isFinite(retry) ? retry : null);
    if (response.status === 401 && !key) onUnauthorized(error);
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

// the public contract (no key): which optional routes this API has
let contract = null;
export async function features() {
  if (!contract) {
    const document = await api('openapi.json', { key: '' });
    const paths = document.paths || {};
    contract = {
      conversations: '/conversations/{conversation_id}' in paths,
      replies: '/conversations/{conversation_id}/replies' in paths,
      take: '/conversations/{conversation_id}/claim' in paths,
      earlier: '/conversations/{conversation_id}/messages' in paths,
      earlierReplies: Boolean((paths['/conversations/{conversation_id}/replies'] || {}).get),
      mine: '/me/conversations' in paths,
      savedReplies: '/saved-replies' in paths,
      away: '/away-message' in paths, // a manager sets the reply sent to a DM outside business hours
      businessHours: '/business-hours' in paths, // …and the business hours themselves (else the operator's only)
      // a manager sets the message asking for a rating when a DM conversation is resolved; conversations carry it
      survey: '/satisfaction-survey' in paths,
      // …and the question asked after a rating of 1 to 3, whose answer is recorded as the rating's comment
      surveyFollowUp: Boolean(document.components?.schemas?.SurveyUpdate?.properties?.follow_up),
      notes: '/conversations/{conversation_id}/notes' in paths,
      bulk: '/conversations/bulk' in paths,
      tags: '/conversations/{conversation_id}/tags' in paths,
      customer: '/conversations/{conversation_id}/customer' in paths,
      assign: '/conversations/{conversation_id}/assign' in paths && '/team' in paths,
      reopen: '/conversations/{conversation_id}/reopen' in paths,
      moderation: '/messages/{message_id}/moderation' in paths,
      erasure: '/erasures' in paths, // an admin erases a customer's personal data
      customerData: '/customer-data' in paths, // an admin downloads what is kept of a customer (right of access)
      blocks: '/blocks' in paths, // a manager blocks a customer: their new messages are kept out of the queues
      // …and bans them on the platform too (a Page ban, a WhatsApp block, an X mute, a Telegram group ban)
      platformBans: Boolean(document.components?.schemas?.BlockCreate?.properties?.on_platform),
      bulkHide: Boolean(document.components?.schemas?.BulkHide),
      bulkUnhide: (document.components?.schemas?.BulkHide?.properties?.action?.enum || []).includes('unhide'),
      bulkReopen: Boolean(document.components?.schemas?.BulkReopen),
      bulkReply: Boolean(document.components?.schemas?.BulkReply), // one statement to many (an outage, a crisis)
      // the unhappy customers of the satisfaction survey, to follow up
      maxRating: ((paths['/queues/{name}/messages'] || {}).get?.parameters || []).some((p) => p.name === 'max_rating'),
      people: '/stats/people' in paths,
      filters: ((paths['/queues/{name}/messages'] || {}).get?.parameters || []).some((p) => p.name === 'platform'),
      // status=removed: the conversations hidden or deleted from here, or removed on the platform
      removed: ((paths['/queues/{name}/messages'] || {}).get?.parameters || [])
        .some((p) => p.name === 'status' && (p.schema?.enum || []).includes('removed')),
      privateReplies: Boolean(document.components?.schemas?.ReplyCreate?.properties?.private),
      // WhatsApp templates: after 24 hours the only message WhatsApp takes (a manager keeps the approved ones)
      templateReplies: '/conversations/{conversation_id}/template-replies' in paths,
    };
  }
  return contract;
}
