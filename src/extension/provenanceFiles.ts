// Which files are provenance, and where a model's provenance lives. Loaded at
// activation (the tree asks), so it only touches node:fs and node:path.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const OPEN_PROVENANCE_COMMAND = 'modelSigning.openProvenance';

/**
 * The names provenance is written under: SLSA generic generator (`.intoto.jsonl`), GitHub
 * attestations and Sigstore bundles (`.sigstore`, `.sigstore.json`), the newer SLSA builders
 * (`.build.slsa`), Cloud Build and hand-named files (`*provenance*.json`, `.slsa.json`).
 * The Explorer menu's `when` clause in package.json says the same (test/unit/contributions.test.ts checks).
 */
export const PROVENANCE_NAME = /(\.intoto\.jsonl|\.sigstore|\.sigstore\.json|\.build\.slsa|\.slsa\.json)$|provenance.*\.json$/i;

export function isProvenanceFile(name: string): boolean {
  return PROVENANCE_NAME.test(path.basename(name));
}

/** For the Open dialog's filter. */
export const PROVENANCE_EXTENSIONS = ['jsonl', 'sigstore', 'json', 'slsa'];

/**
 * The provenance files of a model: any provenance file at the top of the model folder, and
 * those beside it (in its parent) whose name starts with the model's name
 * (`my-model.intoto.jsonl` next to `my-model/`, or `model.pt.sigstore` next to `model.pt`).
 */
export function provenanceFilesOf(modelPath: string): string[] {
  const found: string[] = [];
  const list = (dir: string) => {
    try {
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && isProvenanceFile(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  };
  if (fs.statSync(modelPath, { throwIfNoEntry: false })?.isDirectory()) found.push(...list(modelPath).map((n) => path.join(modelPath, n)));
  const name = path.basename(modelPath);
  const parent = path.dirname(modelPath);
  found.push(
    ...list(parent)
      .filter((n) => n.startsWith(`${name}.`) || n.startsWith(`${name}-`) || n.startsWith(`${name}_`))
      .map((n) => path.join(parent, n)),
  );
  return found;
}

/**
 * The model a provenance file describes when the user did not say: a folder or file beside it
 * named like the provenance file (`my-model.intoto.jsonl` → `my-model/`), else the folder it is in.
 */
export function defaultModelFor(provenanceFile: string): string {
  const dir = path.dirname(provenanceFile);
  const base = path.basename(provenanceFile);
  const stems = new Set<string>();
  for (let i = base.indexOf('.'); i > 0; i = base.indexOf('.', i + 1)) stems.add(base.slice(0, i));
  const dash = /^(.+?)[-_.]provenance/i.exec(base);
  if (dash?.[1]) stems.add(dash[1]);
  // The longest name first: `model.pt.sigstore` means `model.pt`, not `model`.
  for (const stem of [...stems].sort((a, b) => b.length - a.length)) {
    const candidate = path.join(dir, stem);
    if (candidate !== provenanceFile && fs.existsSync(candidate)) return candidate;
  }
  return dir;
}
