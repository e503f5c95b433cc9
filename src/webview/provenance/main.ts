// The provenance panel's page script, bundled by esbuild.mjs into dist/webview/provenance.js and
// loaded by the nonce'd <script> of provenanceHtml.ts. It receives the view as JSON from the
// extension (src/extension/provenanceView.ts) and only lays it out (see dom.ts).
import type { ProvenanceView, ToWebview } from '../../extension/provenanceMessages';
import { actionButton, add, el, facts } from './dom';
import { postToHost } from './host';
import { statement } from './statement';

const root = document.getElementById('provenance') as HTMLElement;

function render(view: ProvenanceView): void {
  const page = el('div', 'page');
  const header = el('header');
  add(header, el('h1', undefined, `Provenance: ${view.fileName}`));
  header.appendChild(
    facts([
      ['File', view.file, 'file'],
      [
        'Model',
        view.modelPath ? `${view.modelPath}${view.modelRootDigest ? `  (root ${view.modelRootDigest.slice(0, 19)}…)` : ''}` : 'none (subjects not checked)',
        'model',
      ],
    ]),
  );
  header.appendChild(el('p', 'muted', `Checked ${new Date(view.checkedAt).toLocaleString()} with the ${view.trust}`));
  if (!view.error) {
    const verdict = el(
      'p',
      `file-verdict verdict ${view.verdict === 'ok' ? 'ok' : 'bad'}`,
      view.verdict === 'ok' ? '✓ The provenance passes' : '✗ The provenance does not pass',
    );
    verdict.dataset.field = 'verdict';
    header.appendChild(verdict);
  }
  const bar = el('div', 'toolbar');
  add(
    bar,
    actionButton('Choose Model Folder…', 'chooseModel'),
    actionButton('Expected Source and Builder…', 'setPolicy'),
    actionButton('Check Again', 'refresh'),
  );
  header.appendChild(bar);
  page.appendChild(header);
  const status = el('p', 'busy muted');
  status.id = 'busy';
  status.setAttribute('role', 'status');
  page.appendChild(status);
  if (view.error) {
    const e = el('p', 'status bad');
    e.dataset.field = 'error';
    add(e, el('span', 'icon', '✗'), document.createTextNode(` ${view.error}`));
    page.appendChild(e);
  }
  for (const st of view.statements) page.appendChild(statement(st));
  // Keep the open/closed state of the sections the user toggled across updates.
  const open = [...root.querySelectorAll('details')].map((d) => d.open);
  root.replaceChildren(page);
  const now = root.querySelectorAll('details');
  if (open.length === now.length) now.forEach((d, i) => (d.open = open[i] === true));
  root.setAttribute('aria-busy', 'false');
  root.dataset.checkedAt = view.checkedAt;
}

window.addEventListener('message', (event: MessageEvent<ToWebview | null | undefined>) => {
  const message = event.data;
  if (!message || typeof message !== 'object') return;
  if (message.type === 'view' && message.view) render(message.view);
  else if (message.type === 'busy') {
    root.setAttribute('aria-busy', 'true');
    const status = document.getElementById('busy');
    if (status) status.textContent = String(message.message);
  }
});
postToHost({ type: 'ready' });
