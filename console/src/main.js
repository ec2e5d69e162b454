// The console: sign in with an API key, then the views the key's role allows (agent: her queues; manager:
// all queues, stats, saved replies, the WhatsApp templates, the away message, the satisfaction survey, the routing
// rules and the blocked customers; admin: also keys). Routes live in the URL's fragment (#/work/<queue>/<id>, #/stats,
// #/saved, #/templates, #/away, #/survey, #/rules, #/blocked, #/keys): never the key.
import { whenUnauthorized } from './api.js';
import { h, replace, field, select } from './dom.js';
import { LANGUAGES, language, setLanguage, setTimeZone, t, timeZone, timeZones } from './i18n.js';
import { session } from './session.js';
import { clearMessages, liveRegions, showError } from './ui.js';
import { mountAdmin } from './views/admin.js';
import { mountAgent } from './views/agent.js';
import { mountAway } from './views/away.js';
import { mountBlocked } from './views/blocked.js';
import { mountManager } from './views/manager.js';
import { mountRules } from './views/rules.js';
import { mountSavedReplies } from './views/saved.js';
import { mountSignIn } from './views/signin.js';
import { mountSurvey } from './views/survey.js';
import { mountTemplates } from './views/templates.js';

const root = document.getElementById('app');
let mounted = null;

const VIEWS = {
  work: { roles: ['agent', 'manager', 'admin'], label: 'nav.work', mount: mountAgent },
  stats: { roles: ['manager', 'admin'], label: 'nav.stats', mount: mountManager },
  saved: { roles: ['manager', 'admin'], label: 'nav.saved', mount: mountSavedReplies },
  templates: { roles: ['manager', 'admin'], label: 'nav.templates', mount: mountTemplates },
  away: { roles: ['manager', 'admin'], label: 'nav.away', mount: mountAway },
  survey: { roles: ['manager', 'admin'], label: 'nav.survey', mount: mountSurvey },
  rules: { roles: ['manager', 'admin'], label: 'nav.rules', mount: mountRules },
  blocked: { roles: ['manager', 'admin'], label: 'nav.blocked', mount: mountBlocked },
  keys: { roles: ['admin'], label: 'nav.keys', mount: mountAdmin },
};

function parseRoute() {
  const [name = '', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  let args;
  try {
    args = rest.map((part) => decodeURIComponent(part));
  } catch {
    args = [];
  }
  return { name, args };
}

function go(...parts) {
  const hash = `#/${parts.filter((p) => p !== undefined && p !== null && p !== '')
    .map((p) => encodeURIComponent(p)).join('/')}`;
  if (location.hash === hash) render();
  else location.hash = hash;
}

function preferences() {
  const lang = select(LANGUAGES.map((code) => [code, t(`language.${code}`)]), language(), {
    // a notice in the old language would stay on screen: the page is redrawn in the new one without it
    id: 'language', onchange: (event) => { setLanguage(event.target.value); clearMessages(); render(); },
  });
  const zone = select(timeZones().map((name) => [name, name]), timeZone(), {
    id: 'time-zone', onchange: (event) => { setTimeZone(event.target.value); render(); },
  });
  return h('div', { class: 'prefs' }, field(t('prefs.language'), lang), field(t('prefs.timeZone'), zone));
}

function shell(route) {
  const role = session.role();
  const nav = h('nav', { 'aria-label': t('nav.label') }, h('ul', {}, Object.entries(VIEWS)
    .filter(([, view]) => view.roles.includes(role))
    .map(([name, view]) => h('li', {}, h('a', {
      href: `#/${name}`, 'aria-current': route.name === name ? 'page' : null,
    }, t(view.label))))));
  const signOut = h('button', { type: 'button', id: 'sign-out', onclick: () => toSignIn(null) }, t('signout'));
  const main = h('main', { id: 'main', tabindex: '-1' });
  const header = h('header', { class: 'topbar' },
    h('p', { class: 'brand' }, t('app.name')),
    nav,
    preferences(),
    h('div', { class: 'who' }, h('span', { class: 'role-badge' }, t(`role.${role}`)), signOut));
  replace(root, header, ...liveRegions(), main);
  return main;
}

function render() {
  if (mounted && mounted.dispose) mounted.dispose();
  mounted = null;
  document.documentElement.lang = language();
  document.title = t('app.title');
  const route = parseRoute();
  if (!session.key()) {
    const main = h('main', { id: 'main', class: 'signin-page' });
    replace(root, h('header', { class: 'topbar' }, h('p', { class: 'brand' }, t('app.name')), preferences()),
      ...liveRegions(), main);
    mounted = mountSignIn(main, { onSignedIn: () => go('work') });
    return;
  }
  const role = session.role();
  const view = VIEWS[route.name];
  if (!view || !view.roles.includes(role)) {
    go('work');
    return;
  }
  const main = shell(route);
  mounted = view.mount(main, { args: route.args, role, go });
}

function toSignIn(error) {
  session.signOut();
  history.replaceState(null, '', '#/');
  render();
  if (error) showError(error);
}

// a revoked or expired key: back to sign-in, saying why
whenUnauthorized(toSignIn);

window.addEventListener('hashchange', render);
render();
