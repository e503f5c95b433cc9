// The example GitHub Actions workflow (media/examples/sign-and-attest-model.yml) cannot run here,
// but every `model-signing` command it runs must be one the CLI takes: each is run for real, in an
// empty folder, and must fail only for what is missing there (exit 1), never as a usage error (2).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO, runCli, tempDir } from '../helpers/fixtures';

const WORKFLOW = path.join(REPO, 'media/examples/sign-and-attest-model.yml');

/** The `model-signing …` commands of the workflow's run blocks, continuation lines joined. */
function commands(yaml: string): string[] {
  const joined = yaml.replace(/\\\n\s*/g, '');
  return joined
    .split('\n')
    .map((l) => l.trim().replace(/^run:\s*/, ''))
    .filter((l) => l.startsWith('model-signing ') && !l.startsWith('model-signing --version'));
}

/** Splits a shell line into words: double quotes group, GitHub expressions and variables become sample values. */
function words(line: string): string[] {
  const expanded = line
    .replace(/\$\{\{\s*github\.repository\s*\}\}/g, 'acme/models')
    .replace(/"\$WORKFLOW_IDENTITY"/g, '"https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1"')
    .replace(/"\$GITHUB_OIDC_ISSUER"/g, '"https://token.actions.githubusercontent.com"');
  assert.doesNotMatch(expanded, /\$/, `an unexpanded variable in: ${line}`);
  return [...expanded.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

it('every model-signing command of the example workflow is a valid command line', async () => {
  const found = commands(fs.readFileSync(WORKFLOW, 'utf8'));
  const verbs = found.map((c) => words(c).slice(1, 3).join(' '));
  for (const expected of ['sign sigstore', 'attest model', 'verify sigstore', 'provenance verify'])
    assert.ok(verbs.includes(expected), `the workflow runs ${expected}`);
  const empty = tempDir();
  for (const command of found) {
    // Outside Actions and with no token: each fails on the missing model or provenance, or the missing token.
    const r = await runCli(words(command).slice(1), {
      cwd: empty,
      env: { GITHUB_ACTIONS: '', ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '', SIGSTORE_ID_TOKEN: '' },
    });
    assert.equal(r.code, 1, `${command}\n${r.stderr}`);
    assert.equal(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('WARNING')).length,
      1,
      `one line for ${command}: ${r.stderr}`,
    );
  }
});
