import * as crypto from 'node:crypto';
import { settle } from '../abort';
import { Bundle } from './bundle';
import { publicKeyHint } from './keys';
import { Signer, dsseBundle } from './signer';

/** Signs with an EC private key; the bundle names the key by its hint only. */
export class KeySigner implements Signer {
  constructor(private readonly privateKey: crypto.KeyObject) {}

  sign(payload: Buffer): Promise<Bundle> {
    return settle(() => dsseBundle(this.privateKey, payload, { publicKey: { hint: publicKeyHint(this.privateKey) }, tlogEntries: [] }));
  }
}
