// The team (GET /team, managers and admins): everyone with a live key, whom work may be assigned to. Read once
// per page and signed-in key, then kept; forgotten when the API says someone is no longer there.
import { api } from './api.js';
import { session } from './session.js';

let cached = null; // { key, members: Promise<member[]> }

export function loadTeam() {
  const key = session.keyId();
  if (!cached || cached.key !== key) {
    const members = api('team').then((answer) => answer.members || []);
    cached = { key, members };
    members.catch(() => { // a failed read is not kept: the next one asks again
      if (cached && cached.members === members) cached = null;
    });
  }
  return cached.members;
}

export function forgetTeam() {
  cached = null;
}

// managers and admins work every queue, an agent only hers
export function worksQueue(member, queue) {
  return member.role !== 'agent' || (member.queues || []).includes(queue);
}

// "agent:Cy (0123456789abcdef)" -> "0123456789abcdef": how claimed_by and history name a person's key
export function actorKeyId(actor) {
  const match = /\(([0-9a-f]{16})\)$/.exec(String(actor || ''));
  return match ? match[1] : '';
}
