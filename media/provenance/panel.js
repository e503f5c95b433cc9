// The provenance panel's page script. It receives the view as JSON from the extension
// (src/extension/provenanceView.ts) and lays it out with createElement and textContent only:
// nothing from the provenance ever becomes HTML. It never navigates; links are buttons that ask
// the extension (which confirms with the user, and opens http(s) URLs only).
// @ts-check
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const root = /** @type {HTMLElement} */ (document.getElementById('provenance'));
  const MAX_DEPTH = 24;

  /**
   * An element with a class and text (textContent: never parsed as HTML).
   * @param {string} tag @param {string} [className] @param {string} [text]
   */
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** @param {HTMLElement} parent @param {...(Node | undefined)} children */
  function add(parent, ...children) {
    for (const c of children) if (c) parent.appendChild(c);
    return parent;
  }

  const isWebUrl = (/** @type {unknown} */ u) => typeof u === 'string' && /^https?:\/\//i.test(u);

  /**
   * A link: a button that asks the extension to open the URL; plain text when there is no
   * http(s) URL (javascript:, data: and file: are never links).
   * @param {{ text: string, url?: string } | undefined} link @param {string} [field]
   */
  function linkNode(link, field) {
    if (!link) return undefined;
    if (!isWebUrl(link.url)) {
      const span = el('span', 'value', link.text);
      if (field) span.dataset.field = field;
      return span;
    }
    const url = /** @type {string} */ (link.url);
    const button = el('button', 'link', link.text);
    button.setAttribute('type', 'button');
    button.title = `Open ${url}`;
    if (field) button.dataset.field = field;
    button.addEventListener('click', () => vscode.postMessage({ type: 'openLink', url }));
    return button;
  }

  /** @param {string} label @param {string} message */
  function actionButton(label, message) {
    const b = el('button', 'action', label);
    b.setAttribute('type', 'button');
    b.addEventListener('click', () => vscode.postMessage({ type: message }));
    return b;
  }

  /**
   * Rows of a definition list; rows whose value is missing are left out.
   * @param {Array<[string, Node | string | undefined, string?]>} rows
   */
  function facts(rows) {
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

  /**
   * A JSON value as a key/value tree.
   * @param {unknown} value @param {number} depth @returns {Node}
   */
  function tree(value, depth) {
    if (value === null || typeof value !== 'object') {
      return el('span', `json json-${value === null ? 'null' : typeof value}`, typeof value === 'string' ? value : JSON.stringify(value));
    }
    if (depth > MAX_DEPTH) return el('span', 'json', '…');
    const entries = Array.isArray(value) ? value.map((v, i) => /** @type {[string, unknown]} */ ([`[${i}]`, v])) : Object.entries(value);
    if (entries.length === 0) return el('span', 'json muted', Array.isArray(value) ? '(empty list)' : '(empty)');
    const ul = el('ul', 'tree');
    for (const [k, v] of entries) {
      const li = el('li');
      add(li, el('span', 'key', k), document.createTextNode(': '), tree(v, depth + 1));
      ul.appendChild(li);
    }
    return ul;
  }

  /** @param {string} title @param {string} [field] */
  function section(title, field) {
    const s = el('section', 'part');
    if (field) s.dataset.section = field;
    s.appendChild(el('h3', undefined, title));
    return s;
  }

  const MARKS = {
    file: ['✓', 'ok', 'matches a file'],
    'root-digest': ['✓', 'ok', 'matches the model'],
    changed: ['✗', 'bad', 'changed'],
    none: ['✗', 'bad', 'no match'],
    'other-artifact': ['–', 'muted', 'another artifact'],
    unchecked: ['?', 'muted', 'not checked'],
  };

  /** @param {any} s */
  function subjectRow(s) {
    const [icon, tone, word] = MARKS[/** @type {keyof typeof MARKS} */ (s.mark)] ?? MARKS.none;
    const tr = el('tr', `subject ${tone}`);
    tr.dataset.mark = s.mark;
    const mark = el('td', `mark ${tone}`);
    add(mark, el('span', 'icon', icon), document.createTextNode(` ${word}`));
    mark.setAttribute('aria-label', word);
    const name = el('td', 'name');
    add(name, el('code', undefined, s.name));
    const digest = el('td', 'digest');
    for (const d of s.digests) {
      const c = el('code', undefined, d.length > 24 ? `${d.slice(0, 22)}…` : d);
      c.title = d;
      add(digest, c, el('br'));
    }
    const detail = el('td', 'detail');
    add(detail, el('span', undefined, s.detail));
    if (s.format) {
      const fmt = el('details', 'format');
      add(fmt, el('summary', undefined, s.format.summary));
      fmt.appendChild(facts(s.format.facts.map((/** @type {[string, string]} */ [k, v]) => [k, v])));
      detail.appendChild(fmt);
    }
    return add(tr, mark, name, digest, detail);
  }

  /** @param {any} sig */
  function signaturePart(sig) {
    const s = section('Signature', 'signature');
    const tone = sig.status === 'verified' ? 'ok' : sig.status === 'incomplete' ? 'warn' : 'bad';
    const status = el('p', `status ${tone}`);
    status.dataset.field = 'signature-status';
    add(status, el('span', 'icon', sig.status === 'verified' ? '✓' : sig.status === 'incomplete' ? '!' : '✗'), document.createTextNode(` ${sig.label}`));
    s.appendChild(status);
    s.appendChild(facts([
      ['Method', sig.method === 'sigstore' ? 'Sigstore certificate' : 'Public key'],
      ['Identity', sig.identity, 'signer-identity'],
      ['Issuer', sig.issuer, 'signer-issuer'],
      ['Key', sig.keyId],
      ['Signed at', sig.signedAt],
      ['Transparency log', sig.transparencyLog === 'present' ? 'entry present' : 'no entry'],
      ['Certificate valid', sig.validity],
    ]));
    if (sig.claims.length > 0) {
      const d = el('details', 'claims');
      d.open = true;
      add(d, el('summary', undefined, `Certificate claims (${sig.claims.length})`));
      d.appendChild(facts(sig.claims.map((/** @type {[string, any]} */ [k, v]) => [k, linkNode(v)])));
      s.appendChild(d);
    }
    if (sig.method === 'key') s.appendChild(actionButton('Verify With a Public Key…', 'choosePublicKey'));
    return s;
  }

  /** @param {any[]} checks */
  function policyPart(checks) {
    const s = section('Policy checks', 'policy');
    const ul = el('ul', 'checks');
    for (const c of checks) {
      const li = el('li', c.ok ? 'ok' : 'bad');
      add(li, el('span', 'icon', c.ok ? '✓' : '✗'), document.createTextNode(' '), el('strong', undefined, c.name), document.createTextNode(`: ${c.message}`));
      ul.appendChild(li);
    }
    return add(s, ul);
  }

  /** @param {any} st */
  function statement(st) {
    const s = el('article', 'statement');
    const h = el('h2');
    const [tone, word] = st.verdict === 'ok' ? ['ok', '✓ passes every check'] : st.verdict === 'skipped' ? ['muted', '– skipped'] : ['bad', '✗ does not pass'];
    add(h, document.createTextNode(`${st.heading} `), el('span', `verdict ${tone}`, word));
    s.appendChild(h);
    if (st.skippedReason) s.appendChild(el('p', 'muted', `Left out: ${st.skippedReason}`));
    const signer = st.signature.identity ?? (st.signature.keyId ? `key ${st.signature.keyId}` : undefined);
    s.appendChild(el('p', 'muted summary', [st.signature.label, signer ? `signed by ${signer}` : undefined, `${st.subjects.length} subject${st.subjects.length === 1 ? '' : 's'}`].filter(Boolean).join(' · ')));
    if (st.problems.length > 0) {
      const ul = el('ul', 'problems bad');
      ul.dataset.field = 'problems';
      for (const p of st.problems) ul.appendChild(el('li', undefined, p));
      s.appendChild(ul);
    }
    for (const w of st.warnings) s.appendChild(el('p', 'warn', `Warning: ${w}`));

    const build = section('Build', 'build');
    const source = st.source
      ? add(el('span'), linkNode(st.source.repository, 'source'))
      : undefined;
    build.appendChild(facts([
      ['Builder', st.builderId, 'builder'],
      ['Verified builder', st.verifiedBuilderId],
      ['Build type', st.buildType],
      ['Source repository', source],
      ['Commit', st.source?.commit ? linkNode(st.source.commit, 'commit') : undefined],
      ['Ref', st.source?.ref],
      ['Workflow', linkNode(st.workflow, 'workflow')],
      ['Run', linkNode(st.run, 'run')],
      ['Trigger', st.trigger, 'trigger'],
      ['Ran', st.startedOn ? `${st.startedOn}${st.finishedOn ? ` – ${st.finishedOn}` : ''}` : st.finishedOn],
      ['Predicate', `${st.predicateType} (${st.form})`],
    ]));
    if (st.unknownPredicate) build.appendChild(el('p', 'warn', 'Not SLSA provenance: shown as it is (see the raw statement).'));
    s.appendChild(build);

    const subjects = section(`Subjects (${st.subjects.length})`, 'subjects');
    const table = el('table', 'subjects');
    const head = el('tr');
    for (const t of ['Match', 'Name', 'Digest', 'On disk']) head.appendChild(el('th', undefined, t));
    add(table, add(el('thead'), head));
    const body = el('tbody');
    for (const sub of st.subjects) body.appendChild(subjectRow(sub));
    s.appendChild(add(subjects, add(table, body)));

    s.appendChild(signaturePart(st.signature));
    if (st.policy.length > 0) s.appendChild(policyPart(st.policy));

    const params = section('Build parameters', 'parameters');
    /** @param {string} title @param {unknown} value */
    const paramTree = (title, value) => {
      if (value === undefined) return undefined;
      const d = el('details', 'params');
      d.open = true;
      add(d, el('summary', undefined, title), tree(value, 0));
      return d;
    };
    add(params, paramTree('External parameters', st.parameters), paramTree('Internal parameters', st.internalParameters));
    if (st.parameters === undefined && st.internalParameters === undefined) params.appendChild(el('p', 'muted', 'None recorded.'));
    s.appendChild(params);

    const deps = section(`Resolved dependencies (${st.dependencies.length})`, 'dependencies');
    if (st.dependencies.length === 0) deps.appendChild(el('p', 'muted', 'None recorded.'));
    else {
      const ul = el('ul', 'deps');
      for (const d of st.dependencies) {
        const li = el('li');
        add(li, linkNode(d.label));
        for (const dg of d.digests) add(li, el('br'), el('code', 'muted', dg));
        ul.appendChild(li);
      }
      deps.appendChild(ul);
    }
    s.appendChild(deps);

    const raw = el('details', 'raw');
    add(raw, el('summary', undefined, 'Raw statement (JSON)'), el('pre', undefined, st.rawStatement));
    s.appendChild(raw);
    return s;
  }

  /** @param {any} view */
  function render(view) {
    const page = el('div', 'page');
    const header = el('header');
    add(header, el('h1', undefined, `Provenance: ${view.fileName}`));
    header.appendChild(facts([
      ['File', view.file, 'file'],
      ['Model', view.modelPath ? `${view.modelPath}${view.modelRootDigest ? `  (root ${view.modelRootDigest.slice(0, 19)}…)` : ''}` : 'none (subjects not checked)', 'model'],
    ]));
    header.appendChild(el('p', 'muted', `Checked ${new Date(view.checkedAt).toLocaleString()} with the ${view.trust}`));
    if (!view.error) {
      const verdict = el('p', `file-verdict verdict ${view.verdict === 'ok' ? 'ok' : 'bad'}`, view.verdict === 'ok' ? '✓ The provenance passes' : '✗ The provenance does not pass');
      verdict.dataset.field = 'verdict';
      header.appendChild(verdict);
    }
    const bar = el('div', 'toolbar');
    add(bar, actionButton('Choose Model Folder…', 'chooseModel'), actionButton('Expected Source and Builder…', 'setPolicy'), actionButton('Check Again', 'refresh'));
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
    if (open.length === now.length) now.forEach((d, i) => (d.open = /** @type {boolean} */ (open[i])));
    root.setAttribute('aria-busy', 'false');
    root.dataset.checkedAt = view.checkedAt;
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (!message || typeof message !== 'object') return;
    if (message.type === 'view' && message.view) render(message.view);
    else if (message.type === 'busy') {
      root.setAttribute('aria-busy', 'true');
      const status = document.getElementById('busy');
      if (status) status.textContent = String(message.message);
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
