// The sample model with provenance that `npm start` puts in its workspace (test/demo/vscode.ts),
// made the way a user makes one: the CLI's `attest` (keyless, against the local Sigstore), then
// `sign` into the folder. The step opens it from the Explorer as a new user would and checks what
// broke before: the signature inside the model is not an uncovered file, "Signed at" is not before
// the build ran, and what the viewer asks for names its own controls, never a CLI flag.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { SIGNER, type KeylessModel } from './keylessModel';
import { giveExpectedSourceAndBuilder, openFromExplorer, text, webviewContent, type ProvenanceViewerOptions } from './provenanceViewer';
import { clearNotifications } from './workbench';

export const SAMPLE_PROVENANCE_MODEL = 'attested-model';
/** Named after the model, beside it: the viewer matches its subjects against that folder. */
export const SAMPLE_PROVENANCE_FILE = `${SAMPLE_PROVENANCE_MODEL}.sigstore.json`;
const SOURCE = 'github.com/acme/attested-model';

async function cli(args: string[]): Promise<void> {
  const script = resolve(__dirname, '../../dist/cli.js');
  let stderr = '';
  const code = await new Promise<number>((done) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (c) => done(c ?? -1));
  });
  if (code !== 0) throw new Error(`model-signing ${args[0]} failed (exit ${code}): ${stderr.trim()}`);
}

/** `<workspace>/attested-model/` with its provenance beside it (attest --per-file), then signed into model.sig. */
export async function prepareSampleProvenance(workspace: string, keyless: KeylessModel): Promise<void> {
  const model = join(workspace, SAMPLE_PROVENANCE_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'config.json'), `${JSON.stringify({ architectures: ['TinyClassifier'], num_labels: 3 }, null, 2)}\n`);
  const weights = Buffer.alloc(16 << 10);
  for (let i = 0; i < weights.length; i++) weights[i] = (i * 13 + 5) & 0xff;
  writeFileSync(join(model, 'weights.bin'), weights);
  const keylessFlags = async () => ['--trust-config', keyless.trustConfig, '--identity-token', await keyless.mintToken()];
  await cli([
    'attest',
    model,
    '--output',
    join(workspace, SAMPLE_PROVENANCE_FILE),
    '--overwrite',
    '--per-file',
    '--source-uri',
    SOURCE,
    '--source-ref',
    'refs/heads/main',
    '--source-commit',
    '0123456789abcdef0123456789abcdef01234567',
    ...(await keylessFlags()),
  ]);
  // Signed after the provenance was made: the signature file is not part of the model it describes.
  await cli(['sign', model, '--signature', join(model, 'model.sig'), ...(await keylessFlags())]);
}

/** Opens the sample's provenance from the Explorer: every subject matches, the times agree, and the hint names the viewer's control. */
export async function sampleProvenance({ page, workspace, keyless, screenshotDir }: ProvenanceViewerOptions): Promise<void> {
  await prepareSampleProvenance(workspace, keyless);
  await openFromExplorer(page, basename(workspace), SAMPLE_PROVENANCE_FILE);
  const frame = webviewContent(page);
  await frame.locator('tr.subject[data-mark="root-digest"]').waitFor({ timeout: 30_000 });
  const marks = await frame.locator('tr.subject').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-mark')} ${r.textContent ?? ''}`));
  if (marks.length !== 3 || marks.some((m) => m.startsWith('none') || m.startsWith('changed')))
    throw new Error(`subjects: expected the root digest and 2 files, all matched; read ${JSON.stringify(marks)}`);

  const problems = await text(frame, '[data-field="problems"]');
  if (problems.includes('model.sig')) throw new Error(`the signature inside the model counts as part of it: ${problems}`);
  if (!problems.includes('set the expected builder to dev@example.com with Expected Source and Builder…') || /--[a-z]/.test(problems))
    throw new Error(`what the viewer asks for should name its own control, not a CLI flag: ${problems}`);

  // Rekor's time has whole seconds: "Signed at" may not precede the second the build started in.
  const signedAt = Date.parse(await text(frame, '[data-field="signed-at"]'));
  const started = Date.parse((await text(frame, '[data-field="ran"]')).split(' – ')[0]!);
  if (!(signedAt >= Math.floor(started / 1000) * 1000))
    throw new Error(`Signed at ${new Date(signedAt).toISOString()} precedes Ran ${new Date(started).toISOString()}`);
  console.log(`    ${SAMPLE_PROVENANCE_FILE}: 3 subjects matched (model.sig left out); signed at ${new Date(signedAt).toISOString()}, after the run started`);

  await giveExpectedSourceAndBuilder(page, SOURCE, SIGNER);
  await clearNotifications(page);
  const shot = join(screenshotDir, 'provenance-sample.png');
  await page.screenshot({ path: shot });
  console.log(`    with the expected source and builder: passes every check; screenshot: ${shot}`);
}
