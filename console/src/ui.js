// The page's two live regions: notices (polite: "Resolved.") and errors (assertive), always in words.
import { add, h, replace } from './dom.js';
import { errorText } from './i18n.js';

const regions = { notice: null, alert: null };

// the same two elements on every page the console draws: a notice given just before a route change
// ("Resolved." and back to the list) is still there after it
export function liveRegions() {
  if (!regions.notice) {
    regions.notice = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'notice' });
    regions.alert = h('div', { class: 'alert', role: 'alert', id: 'alert' });
  }
  return [regions.notice, regions.alert];
}

export function notice(text) {
  if (regions.alert) replace(regions.alert);
  if (regions.notice) replace(regions.notice, text ? h('p', {}, text) : null);
}

export function showError(error, context) {
  if (regions.notice) replace(regions.notice);
  if (!regions.alert) return;
  replace(regions.alert);
  if (!error) return;
  add(regions.alert, h('p', {}, context ? `${context}: ` : '', typeof error === 'string' ? error : errorText(error)));
}

export function clearMessages() {
  notice('');
}

// a button that is disabled (and says so) while its action runs: a double click acts once; `ready` says
// whether it may be enabled again when the action ends (a form that must wait first re-enables it itself)
export function busy(button, action, ready = () => true) {
  return async (event) => {
    if (event) event.preventDefault();
    if (button.disabled) return undefined;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      return await action();
    } finally {
      button.disabled = !ready();
      button.removeAttribute('aria-busy');
    }
  };
}

// someone else saved meanwhile (409 concurrent_change): `box` says so and offers one button that reads what is saved
// now; `loaded(current)` shows it and says what comes next in `box` (a button to put back what was typed, say)
export function offerTheCurrentOne(box, { id, said, label, read, loaded }) {
  const load = h('button', { type: 'button', class: 'secondary', id }, label);
  replace(box, h('p', {}, said), h('div', { class: 'toolbar' }, load));
  box.hidden = false;
  load.addEventListener('click', busy(load, async () => {
    let current;
    try {
      current = await read();
    } catch (error) {
      showError(error);
      return;
    }
    loaded(current);
  }));
  load.focus();
}

// after the current one loaded: `box` says so, with a button that puts back what was typed (`putBack`)
export function offerToPutBack(box, { id, said, label, putBack }) {
  const button = h('button', { type: 'button', class: 'secondary', id }, label);
  button.addEventListener('click', () => {
    box.hidden = true;
    putBack();
  });
  replace(box, h('p', {}, said), h('div', { class: 'toolbar' }, button));
  button.focus();
}
