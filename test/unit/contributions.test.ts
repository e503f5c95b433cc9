// package.json's contributions against the code that uses them: VS Code does not complain
// about a command contributed but never registered (the menu entry fails when clicked), a
// setting read but not contributed (always undefined), or a `when` pattern that drifts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import * as constants from '../../src/extension/constants';
import { COMMANDS, MODEL_FILE_EXTENSIONS, SETTINGS, SIGNATURE_NAME, VIEWS } from '../../src/extension/constants';
import { OPEN_PROVENANCE_COMMAND, PROVENANCE_NAME } from '../../src/extension/provenanceFiles';
import { REPO } from '../helpers/fixtures';
import { readExtensionManifest } from '../helpers/packageJson';

const manifest = readExtensionManifest();
const contributes = manifest.contributes;
const EXTENSION = path.join(REPO, 'src/extension');

/** The extension's sources, file name → text, constants.ts left out. */
const sources = new Map(
  fs
    .readdirSync(EXTENSION)
    .filter((f) => f.endsWith('.ts') && f !== 'constants.ts')
    .map((f) => [f, fs.readFileSync(path.join(EXTENSION, f), 'utf8')] as const),
);
const allSource = [...sources.values()].join('\n');

/** What a registerCommand argument names, as the code writes it. */
const COMMAND_EXPRESSIONS = new Map<string, string>([
  ...Object.entries(COMMANDS).map(([k, v]) => [`COMMANDS.${k}`, v] as [string, string]),
  ['OPEN_PROVENANCE_COMMAND', OPEN_PROVENANCE_COMMAND],
]);

function registeredCommands(): string[] {
  const found = [...allSource.matchAll(/registerCommand\(\s*([^,\s)]+)/g)].map((m) => m[1]!);
  assert.ok(found.length > 0, 'no registerCommand call found');
  return found.map((expr) => {
    const id = COMMAND_EXPRESSIONS.get(expr);
    assert.ok(id, `registerCommand(${expr}): name the command by a constant of constants.ts or provenanceFiles.ts`);
    return id;
  });
}

/** Every command a menu, a view welcome or a when clause of package.json refers to. */
function referencedCommands(): string[] {
  const fromMenus = Object.values(contributes.menus)
    .flat()
    .map((m) => m.command);
  const links = (text: string) => [...text.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!);
  const fromWelcome = contributes.viewsWelcome.flatMap((w) => links(w.contents));
  const fromWalkthroughs = contributes.walkthroughs.flatMap((w) =>
    w.steps.flatMap((s) => [...links(s.description), ...(s.completionEvents ?? []).map((e) => e.replace(/^onCommand:/, ''))]),
  );
  return [...fromMenus, ...fromWelcome, ...fromWalkthroughs];
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

it('every command registered is contributed, and every command contributed is registered', () => {
  const contributed = contributes.commands.map((c) => c.command);
  assert.deepEqual(sorted(contributed), sorted(registeredCommands()));
  assert.equal(contributed.length, new Set(contributed).size, 'a command contributed twice');
  for (const c of referencedCommands()) assert.ok(contributed.includes(c), `package.json refers to ${c}, which is not contributed`);
});

it('every command link (package.json, markdown in the code, walkthroughs) names a contributed command', () => {
  // A `command:` link or an `onCommand:` completion event that names no command fails only when clicked.
  const contributed = contributes.commands.map((c) => c.command);
  const texts = [fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'), allSource];
  const linked = texts.flatMap((t) => [...t.matchAll(/\b(?:command|onCommand):(modelSigning\.[\w.]+)/g)].map((m) => m[1]!));
  assert.ok(linked.length > 0, 'no command link found');
  for (const id of linked) assert.ok(contributed.includes(id), `a link names ${id}, which is not contributed`);
});

it('the Explorer menu offers Open Provenance on exactly the names the code takes for provenance', () => {
  const entry = contributes.menus['explorer/context']?.find((m) => m.command === OPEN_PROVENANCE_COMMAND);
  assert.ok(entry, 'Open Provenance is not in the Explorer menu');
  assert.ok(
    entry.when?.includes(`resourceFilename =~ /${PROVENANCE_NAME.source}/${PROVENANCE_NAME.flags}`),
    `the when clause ${entry.when} differs from provenanceFiles.ts's ${PROVENANCE_NAME}`,
  );
});

it('every setting the code reads is contributed, and every contributed setting is read', () => {
  const { section, ...keys } = SETTINGS;
  const contributed = Object.keys(contributes.configuration.properties);
  assert.deepEqual(sorted(contributed), sorted(Object.values(keys).map((k) => `${section}.${k}`)));
  // Settings are read only through SETTINGS: no section or key spelled out elsewhere.
  const literals = [...sources].flatMap(([file, text]) =>
    [...text.matchAll(/getConfiguration\(\s*['"`]|['"`]modelSigning\.(sigstore|verify|github)\./g)].map((m) => `${file}: ${m[0]}`),
  );
  assert.deepEqual(literals, [], 'a setting named by a literal, not by SETTINGS');
});

it('views, and the activation on a signature file, match the code', () => {
  const contributedViews = Object.values(contributes.views)
    .flat()
    .map((v) => v.id);
  assert.deepEqual(sorted(contributedViews), sorted(Object.values(VIEWS)));
  for (const w of contributes.viewsWelcome) assert.ok(contributedViews.includes(w.view), w.view);
  assert.ok(manifest.activationEvents.includes(`workspaceContains:**/${SIGNATURE_NAME}`));
});

it('constants.ts holds no dead constant: each one is used by the extension', () => {
  for (const [name, value] of Object.entries(constants)) {
    if (typeof value === 'string' || Array.isArray(value)) {
      assert.match(allSource, new RegExp(`\\b${name}\\b`), `${name} is never used`);
      continue;
    }
    for (const key of Object.keys(value)) {
      // SETTINGS keys are also read through `keyof typeof SETTINGS` (trustedSettings.ts) but always named at the call.
      assert.match(allSource, new RegExp(`\\b${name}\\.${key}\\b`), `${name}.${key} is never used`);
    }
  }
});

it('verification on open looks for the single-file models the Explorer menu offers, and activates on their signatures', () => {
  const extensions = `(${MODEL_FILE_EXTENSIONS.join('|')})`;
  for (const command of [COMMANDS.signModel, COMMANDS.verifyModel]) {
    const entry = contributes.menus['explorer/context']?.find((m) => m.command === command);
    assert.ok(entry?.when?.includes(`resourceExtname =~ /^\\.${extensions}$/`), `${command}: ${entry?.when} differs from constants.ts's MODEL_FILE_EXTENSIONS`);
  }
  assert.ok(manifest.activationEvents.includes(`workspaceContains:**/*.{${MODEL_FILE_EXTENSIONS.join(',')}}.sig`));
  assert.equal(contributes.configuration.properties[`${SETTINGS.section}.${SETTINGS.verifyOnOpen}`]?.default, true);
});

it('the walkthrough verifies, signs and pins, each step with its media and done by its command', () => {
  const [walkthrough] = contributes.walkthroughs;
  assert.ok(walkthrough, 'no walkthrough');
  const done = walkthrough.steps.map((s) => s.completionEvents);
  assert.deepEqual(done, [[`onCommand:${COMMANDS.verifyModel}`], [`onCommand:${COMMANDS.signModel}`], [`onCommand:${COMMANDS.pinSigner}`]]);
  for (const step of walkthrough.steps) {
    const media = step.media.markdown ?? step.media.image;
    assert.ok(media && fs.existsSync(path.join(REPO, media)), `${step.id}: no media file ${media}`);
  }
});
