// Building blocks of the page, made with createElement and textContent only: nothing from the
// provenance ever becomes HTML. Links are buttons that ask the extension, which confirms with the
// user and opens http(s) URLs only; the page itself never navigates.
import type { LinkView, WebviewAction } from '../../extension/provenanceMessages';
import { postToHost } from './host';

/** Nested JSON deeper than this is shown as "…". */
const MAX_DEPTH = 24;

/** An element with a class and text (textContent: never parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function add<E extends HTMLElement>(parent: E, ...children: Array<Node | undefined>): E {
  for (const c of children) if (c) parent.appendChild(c);
  return parent;
}

const isWebUrl = (u: unknown): u is string => typeof u === 'string' && /^https?:\/\//i.test(u);

/**
 * A link: a button that asks the extension to open the URL; plain text when there is no
 * http(s) URL (javascript:, data: and file: are never links).
 */
export function linkNode(link: LinkView | undefined, field?: string): HTMLElement | undefined {
  if (!link) return undefined;
  const url = link.url;
  if (!isWebUrl(url)) {
    const span = el('span', 'value', link.text);
    if (field) span.dataset.field = field;
    return span;
  }
  const button = el('button', 'link', link.text);
  button.setAttribute('type', 'button');
  button.title = `Open ${url}`;
  if (field) button.dataset.field = field;
  button.addEventListener('click', () => postToHost({ type: 'openLink', url }));
  return button;
}

export function actionButton(label: string, action: WebviewAction): HTMLButtonElement {
  const b = el('button', 'action', label);
  b.setAttribute('type', 'button');
  b.addEventListener('click', () => postToHost({ type: action }));
  return b;
}

/** A row of a definition list: label, value, and the data-field the tests find the value by. */
export type Fact = [label: string, value: Node | string | undefined, field?: string];

/** A definition list; rows whose value is missing are left out. */
export function facts(rows: Fact[]): HTMLDListElement {
  const dl = el('dl', 'facts');
  for (const [label, value, field] of rows) {
    if (value === undefined || value === '') continue;
    const dd = el('dd');
    if (typeof value === 'string') {
      dd.textContent = value;
      if (field) dd.dataset.field = field;
    } else {
      dd.appendChild(value);
    }
    add(dl, el('dt', undefined, label), dd);
  }
  return dl;
}

/** A JSON value as a key/value tree. */
export function tree(value: unknown, depth: number): Node {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify(undefined) is undefined: an empty span.
    const text = typeof value === 'string' ? value : (JSON.stringify(value) as string | undefined);
    return el('span', `json json-${value === null ? 'null' : typeof value}`, text);
  }
  if (depth > MAX_DEPTH) return el('span', 'json', '…');
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value);
  if (entries.length === 0) return el('span', 'json muted', Array.isArray(value) ? '(empty list)' : '(empty)');
  const ul = el('ul', 'tree');
  for (const [k, v] of entries) {
    const li = el('li');
    add(li, el('span', 'key', k), document.createTextNode(': '), tree(v, depth + 1));
    ul.appendChild(li);
  }
  return ul;
}

export function section(title: string, field?: string): HTMLElement {
  const s = el('section', 'part');
  if (field) s.dataset.section = field;
  s.appendChild(el('h3', undefined, title));
  return s;
}
