// What the provenance panel and its page (src/webview/provenance) send each other, and the view
// the page lays out: plain JSON, declared once for both sides. No imports, so the page's
// TypeScript program (DOM, no Node) can read it: the two core shapes the view carries (a verdict,
// a policy check) are restated here, and provenanceView.ts, which assigns the core's values to
// them, makes the compiler keep them in step.

/** Extension → webview. */
export type ToWebview =
  | { type: 'view'; view: ProvenanceView }
  /** A check is running (a file changed, or the user asked). */
  | { type: 'busy'; message: string };

/** Webview → extension. Everything here is untrusted input: it is checked before use. */
export type FromWebview =
  /** The script is loaded and listening: send the current view. */
  | { type: 'ready' }
  /** The user activated a link; the extension asks before opening http(s) URLs and refuses the rest. */
  | { type: 'openLink'; url: string }
  | { type: 'chooseModel' }
  | { type: 'choosePublicKey' }
  /** Ask for the expected source repository and builder (slsa-verifier's --source-uri and --builder-id). */
  | { type: 'setPolicy' }
  | { type: 'refresh' };

/** The messages that are a button's action: no data but their type. */
export type WebviewAction = Exclude<FromWebview, { type: 'openLink' }>['type'];

/** Text, and a URL when (and only when) it is http(s). */
export interface LinkView {
  text: string;
  url?: string;
}

export type SubjectMark = 'file' | 'root-digest' | 'changed' | 'none' | 'other-artifact' | 'unchecked';

export interface SubjectView {
  name: string;
  /** `algorithm:hex`, one per digest of the subject. */
  digests: string[];
  mark: SubjectMark;
  /** One line saying what the mark means for this subject. */
  detail: string;
  files: string[];
  format?: { label: string; summary: string; facts: Array<[string, string]> };
}

export interface SignatureView {
  status: 'verified' | 'incomplete' | 'failed';
  /** "Verified", "Incomplete: no transparency-log evidence", "Failed: …". */
  label: string;
  method: 'sigstore' | 'key';
  identity?: string;
  issuer?: string;
  keyId?: string;
  claims: Array<[string, LinkView]>;
  validity?: string;
  transparencyLog: 'present' | 'absent';
  signedAt?: string;
}

export interface StatementView {
  /** "Statement 1 of 2 (line 1)". */
  heading: string;
  /** The core's verdict ('skipped': a Cloud Build item whose signature does not verify while another's does). */
  verdict: 'ok' | 'failed' | 'skipped';
  ok: boolean;
  /** Why it does not pass: its failed checks, one line each (empty unless it failed). */
  problems: string[];
  /** Why it was left out, when skipped. */
  skippedReason?: string;
  /** The builder as verified (the certificate's workflow, or the predicate's for BYOB and Cloud Build). */
  verifiedBuilderId?: string;
  warnings: string[];
  form: string;
  predicateType: string;
  statementType: string;
  buildType?: string;
  unknownPredicate: boolean;
  builderId?: string;
  source?: { repository: LinkView; commit?: LinkView; ref?: string };
  workflow?: LinkView;
  run?: LinkView;
  trigger?: string;
  startedOn?: string;
  finishedOn?: string;
  /** Raw JSON values, laid out as a key/value tree by the script. */
  parameters?: unknown;
  internalParameters?: unknown;
  dependencies: Array<{ label: LinkView; digests: string[] }>;
  subjects: SubjectView[];
  signature: SignatureView;
  policy: PolicyCheckView[];
  /** The statement, pretty-printed. */
  rawStatement: string;
}

export interface ProvenanceView {
  file: string;
  fileName: string;
  modelPath?: string;
  modelRootDigest?: string;
  /** What the signatures were checked with. */
  trust: string;
  checkedAt: string;
  /** The file could not be read as provenance at all. */
  error?: string;
  /** The file's verdict from the core (fileVerdict): 'failed' also when the file could not be read. */
  verdict: 'ok' | 'failed';
  statements: StatementView[];
}

/** One policy check of a statement, as the core reports it (core/provenance/types PolicyCheck). */
export interface PolicyCheckView {
  name: string;
  ok: boolean;
  expected?: string;
  actual?: string;
  message: string;
}

/** The webview's message, if it is one of ours; anything else is dropped. */
export function parseWebviewMessage(message: unknown): FromWebview | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { type?: unknown; url?: unknown };
  switch (m.type) {
    case 'ready':
    case 'chooseModel':
    case 'choosePublicKey':
    case 'setPolicy':
    case 'refresh':
      return { type: m.type };
    case 'openLink':
      return typeof m.url === 'string' ? { type: 'openLink', url: m.url } : undefined;
    default:
      return undefined;
  }
}
