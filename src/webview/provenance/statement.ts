// One statement of the provenance file: its verdict, build, subjects against the files on disk,
// signature, policy checks, parameters, dependencies and the raw JSON.
import type { PolicyCheckView, SignatureView, StatementView, SubjectMark, SubjectView } from '../../extension/provenanceMessages';
import { actionButton, add, el, facts, linkNode, section, tree } from './dom';

/** A subject's mark: icon, tone (a CSS class) and the word read out for it. */
const MARKS: Record<SubjectMark, [icon: string, tone: string, word: string]> = {
  file: ['✓', 'ok', 'matches a file'],
  'root-digest': ['✓', 'ok', 'matches the model'],
  changed: ['✗', 'bad', 'changed'],
  none: ['✗', 'bad', 'no match'],
  'other-artifact': ['–', 'muted', 'another artifact'],
  unchecked: ['?', 'muted', 'not checked'],
};

function subjectRow(s: SubjectView): HTMLTableRowElement {
  const [icon, tone, word] = MARKS[s.mark] ?? MARKS.none;
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
    fmt.appendChild(facts(s.format.facts.map(([k, v]) => [k, v])));
    detail.appendChild(fmt);
  }
  return add(tr, mark, name, digest, detail);
}

function signaturePart(sig: SignatureView): HTMLElement {
  const s = section('Signature', 'signature');
  const tone = sig.status === 'verified' ? 'ok' : sig.status === 'incomplete' ? 'warn' : 'bad';
  const status = el('p', `status ${tone}`);
  status.dataset.field = 'signature-status';
  add(status, el('span', 'icon', sig.status === 'verified' ? '✓' : sig.status === 'incomplete' ? '!' : '✗'), document.createTextNode(` ${sig.label}`));
  s.appendChild(status);
  s.appendChild(
    facts([
      ['Method', sig.method === 'sigstore' ? 'Sigstore certificate' : 'Public key'],
      ['Identity', sig.identity, 'signer-identity'],
      ['Issuer', sig.issuer, 'signer-issuer'],
      ['Key', sig.keyId],
      ['Signed at', sig.signedAt, 'signed-at'],
      ['Transparency log', sig.transparencyLog === 'present' ? 'entry present' : 'no entry'],
      ['Certificate valid', sig.validity],
    ]),
  );
  if (sig.claims.length > 0) {
    const d = el('details', 'claims');
    d.open = true;
    add(d, el('summary', undefined, `Certificate claims (${sig.claims.length})`));
    d.appendChild(facts(sig.claims.map(([k, v]) => [k, linkNode(v)])));
    s.appendChild(d);
  }
  if (sig.method === 'key') s.appendChild(actionButton('Verify With a Public Key…', 'choosePublicKey'));
  return s;
}

function policyPart(checks: PolicyCheckView[]): HTMLElement {
  const s = section('Policy checks', 'policy');
  const ul = el('ul', 'checks');
  for (const c of checks) {
    const li = el('li', c.ok ? 'ok' : 'bad');
    add(li, el('span', 'icon', c.ok ? '✓' : '✗'), document.createTextNode(' '), el('strong', undefined, c.name), document.createTextNode(`: ${c.message}`));
    ul.appendChild(li);
  }
  return add(s, ul);
}

function buildPart(st: StatementView): HTMLElement {
  const build = section('Build', 'build');
  const source = st.source ? add(el('span'), linkNode(st.source.repository, 'source')) : undefined;
  build.appendChild(
    facts([
      ['Builder', st.builderId, 'builder'],
      ['Verified builder', st.verifiedBuilderId],
      ['Build type', st.buildType],
      ['Source repository', source],
      ['Commit', st.source?.commit ? linkNode(st.source.commit, 'commit') : undefined],
      ['Ref', st.source?.ref],
      ['Workflow', linkNode(st.workflow, 'workflow')],
      ['Run', linkNode(st.run, 'run')],
      ['Trigger', st.trigger, 'trigger'],
      ['Ran', st.startedOn ? `${st.startedOn}${st.finishedOn ? ` – ${st.finishedOn}` : ''}` : st.finishedOn, 'ran'],
      ['Predicate', `${st.predicateType} (${st.form})`],
    ]),
  );
  if (st.unknownPredicate) build.appendChild(el('p', 'warn', 'Not SLSA provenance: shown as it is (see the raw statement).'));
  return build;
}

function subjectsPart(st: StatementView): HTMLElement {
  const subjects = section(`Subjects (${st.subjects.length})`, 'subjects');
  const table = el('table', 'subjects');
  const head = el('tr');
  for (const t of ['Match', 'Name', 'Digest', 'On disk']) head.appendChild(el('th', undefined, t));
  add(table, add(el('thead'), head));
  const body = el('tbody');
  for (const sub of st.subjects) body.appendChild(subjectRow(sub));
  return add(subjects, add(table, body));
}

function parametersPart(st: StatementView): HTMLElement {
  const params = section('Build parameters', 'parameters');
  const paramTree = (title: string, value: unknown) => {
    if (value === undefined) return undefined;
    const d = el('details', 'params');
    d.open = true;
    add(d, el('summary', undefined, title), tree(value, 0));
    return d;
  };
  add(params, paramTree('External parameters', st.parameters), paramTree('Internal parameters', st.internalParameters));
  if (st.parameters === undefined && st.internalParameters === undefined) params.appendChild(el('p', 'muted', 'None recorded.'));
  return params;
}

function dependenciesPart(st: StatementView): HTMLElement {
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
  return deps;
}

export function statement(st: StatementView): HTMLElement {
  const s = el('article', 'statement');
  const h = el('h2');
  const [tone, word] = st.verdict === 'ok' ? ['ok', '✓ passes every check'] : st.verdict === 'skipped' ? ['muted', '– skipped'] : ['bad', '✗ does not pass'];
  add(h, document.createTextNode(`${st.heading} `), el('span', `verdict ${tone}`, word));
  s.appendChild(h);
  if (st.skippedReason) s.appendChild(el('p', 'muted', `Left out: ${st.skippedReason}`));
  const signer = st.signature.identity ?? (st.signature.keyId ? `key ${st.signature.keyId}` : undefined);
  s.appendChild(
    el(
      'p',
      'muted summary',
      [st.signature.label, signer ? `signed by ${signer}` : undefined, `${st.subjects.length} subject${st.subjects.length === 1 ? '' : 's'}`]
        .filter(Boolean)
        .join(' · '),
    ),
  );
  if (st.problems.length > 0) {
    const ul = el('ul', 'problems bad');
    ul.dataset.field = 'problems';
    for (const p of st.problems) ul.appendChild(el('li', undefined, p));
    s.appendChild(ul);
  }
  for (const w of st.warnings) s.appendChild(el('p', 'warn', `Warning: ${w}`));
  s.appendChild(buildPart(st));
  s.appendChild(subjectsPart(st));
  s.appendChild(signaturePart(st.signature));
  if (st.policy.length > 0) s.appendChild(policyPart(st.policy));
  s.appendChild(parametersPart(st));
  s.appendChild(dependenciesPart(st));
  const raw = el('details', 'raw');
  add(raw, el('summary', undefined, 'Raw statement (JSON)'), el('pre', undefined, st.rawStatement));
  s.appendChild(raw);
  return s;
}
