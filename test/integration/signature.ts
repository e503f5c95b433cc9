// A model's signature file, read as the Bundle it holds, for tests that look inside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bundle } from '../../src/core/signing/bundle';

/** `<model>/model.sig`, unchecked: the extension wrote it. */
export function readSignature(model: string): Bundle {
  return JSON.parse(fs.readFileSync(path.join(model, 'model.sig'), 'utf8')) as Bundle;
}

/** The key hint of a key-signed model's signature. */
export function keyHintOf(model: string): string {
  return readSignature(model).verificationMaterial.publicKey!.hint!;
}
