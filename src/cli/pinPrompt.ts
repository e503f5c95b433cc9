// The token's PIN, asked on the terminal when the PKCS #11 URI gives none: typed without echo (the
// terminal in raw mode, nothing written back), never logged. Not a terminal: no prompt, and the
// core says to give pin-value or pin-source.
import { cancelledError } from '../core/abort';
import { safeText } from '../core/display';
import type { TokenSlot } from '../core/pkcs11/token';
import { err } from './terminal';

export function askPinOnTerminal(token: TokenSlot): Promise<string | undefined> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let pin = '';
    const finish = (done: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      err(safeText`\n`);
      done();
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(pin));
        // Ctrl-C and Ctrl-D: nothing is signed.
        if (ch === '\u0003' || ch === '\u0004') return finish(() => reject(cancelledError()));
        if (ch === '\u007f' || ch === '\b') pin = [...pin].slice(0, -1).join('');
        else if (ch >= ' ') pin += ch;
      }
    };
    // Raw mode before the prompt: what is typed once it shows is never echoed.
    input.setRawMode(true);
    err(safeText`Enter the user PIN of the PKCS #11 token '${token.label}': `);
    input.resume();
    input.on('data', onData);
  });
}
