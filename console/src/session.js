// The signed-in key lives in sessionStorage only: it goes when the tab closes or on sign-out, never to
// localStorage, a URL or a log. Drafts (what an agent typed) are kept per tab too, so a refresh keeps them.
const KEY = 'st.key';
const ROLE = 'st.role';
const DRAFT = 'st.draft.';

function read(name) {
  try {
    return sessionStorage.getItem(name);
  } catch {
    return null;
  }
}

function write(name, value) {
  try {
    if (value === null || value === undefined || value === '') sessionStorage.removeItem(name);
    else sessionStorage.setItem(name, value);
  } catch { /* storage full or disabled: the console still works, without keeping drafts */ }
}

export const session = {
  key: () => read(KEY),
  role: () => read(ROLE),
  // st_<16 hex key id>_<secret>: the id is not secret (listings show it); claims name it
  keyId: () => (read(KEY) || '').split('_')[1] || '',
  signIn(key, role) {
    write(KEY, key);
    write(ROLE, role);
  },
  signOut() {
    for (const name of Object.keys(sessionStorage)) {
      if (name.startsWith('st.')) sessionStorage.removeItem(name);
    }
  },
  draft: (scope) => read(DRAFT + scope) || '',
  saveDraft: (scope, text) => write(DRAFT + scope, text),
  get: (name) => read(`st.${name}`),
  set: (name, value) => write(`st.${name}`, value),
};

// preferences (not secrets) outlive the tab
export const prefs = {
  get(name) {
    try {
      return localStorage.getItem(`st.pref.${name}`);
    } catch {
      return null;
    }
  },
  set(name, value) {
    try {
      localStorage.setItem(`st.pref.${name}`, value);
    } catch { /* ignored: defaults apply next time */ }
  },
};
