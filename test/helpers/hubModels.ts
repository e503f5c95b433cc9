// Signed models published to the Hub stand-in, for `hub verify` and `hub download` tests.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeKeyPair, makeModel, runCli, tempDir } from './fixtures';
import { after, before } from 'node:test';
import { HubStandIn, startHubStandIn } from './hubStandIn';

/** A small model: two storage-backed (LFS) files, two files git keeps, and the .gitattributes every Hub repository has. */
export const HUB_MODEL_FILES: Record<string, string | Buffer> = {
  'model.safetensors': Buffer.alloc(300_000, 7),
  'shards/part-2.bin': Buffer.alloc(200_000, 9),
  'config.json': '{"architectures": ["Tiny"]}\n',
  'tokenizer/vocab.txt': 'a\nb\nc\n',
  '.gitattributes': '*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n',
};

export interface SignedHubModel {
  dir: string;
  publicKey: string;
  /** The commit `main` named when it was published. */
  commit: string;
}

/** Signs a folder with a new key (model.sig inside it, as on the Hub) and publishes it as `repo`. */
export async function publishSigned(
  hub: HubStandIn,
  repo: string,
  options: { files?: Record<string, string | Buffer>; signArgs?: string[]; gated?: boolean; publicKey?: string; privateKey?: string } = {},
): Promise<SignedHubModel> {
  const dir = makeModel(options.files ?? HUB_MODEL_FILES, repo.replace('/', '--'));
  const keys = options.privateKey ? { privateKey: options.privateKey, publicKey: options.publicKey! } : makeKeyPair();
  const signed = await runCli(['sign', 'key', dir, '--private-key', keys.privateKey, '--signature', path.join(dir, 'model.sig'), ...(options.signArgs ?? [])]);
  assert.equal(signed.code, 0, signed.stderr);
  const commit = hub.publish(repo, dir, { gated: options.gated });
  return { dir, publicKey: keys.publicKey, commit };
}

/** A copy of a published model's folder with some files replaced (or removed, with null), published as `repo`: the old signature over new bytes. */
export function publishAltered(hub: HubStandIn, repo: string, from: SignedHubModel, changes: Record<string, string | Buffer | null>): string {
  const dir = path.join(tempDir(), repo.replace('/', '--'));
  fs.cpSync(from.dir, dir, { recursive: true });
  for (const [name, content] of Object.entries(changes)) {
    const file = path.join(dir, name);
    if (content === null) fs.rmSync(file);
    else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
  }
  return hub.publish(repo, dir);
}

/** The environment of a `hub` command against the stand-in: no token unless given, no token file of the user's. */
export function hubEnv(hub: HubStandIn, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HF_ENDPOINT: hub.endpoint,
    HF_TOKEN: undefined,
    HUGGING_FACE_HUB_TOKEN: undefined,
    HF_TOKEN_PATH: undefined,
    HF_HOME: tempDir('ms-hfhome-'),
    ...extra,
  };
}

/** A suite's stand-in, started before its tests with a good signed model published as org/good, stopped after them. */
export function hubSuite(): { hub: HubStandIn; good: SignedHubModel } {
  const suite = {} as { hub: HubStandIn; good: SignedHubModel };
  before(async () => {
    suite.hub = await startHubStandIn();
    suite.good = await publishSigned(suite.hub, 'org/good');
  });
  after(() => suite.hub.stop());
  return suite;
}
