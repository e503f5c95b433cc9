import * as vscode from 'vscode';
import type { HashProgress } from '../core';
import type { SafeText } from '../core/display';
import { formatBytes } from '../core/units';

/**
 * Runs a core job under a cancellable progress notification: the
 * CancellationToken becomes an AbortSignal, and hashing progress becomes
 * percentage, throughput and time left.
 */
export function withHashingProgress<T>(title: SafeText, job: (signal: AbortSignal, onProgress: (p: HashProgress) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: String(title), cancellable: true }, (progress, token) => {
    const ac = new AbortController();
    token.onCancellationRequested(() => ac.abort());
    const started = Date.now();
    let reported = 0;
    let last = 0;
    const onProgress = (p: HashProgress) => {
      const now = Date.now();
      if (now - last < 200 && p.bytesDone < p.bytesTotal) return;
      last = now;
      const pct = p.bytesTotal > 0 ? (100 * p.bytesDone) / p.bytesTotal : 100;
      const rate = p.bytesDone / Math.max(0.001, (now - started) / 1000);
      // Before the first bytes there is no rate to say anything about time left; after the last, what
      // follows (a sign-in, the transparency log) is no hashing, and "0s left" would be a promise.
      const message =
        p.bytesDone === 0
          ? `0% of ${formatBytes(p.bytesTotal)}`
          : p.bytesDone >= p.bytesTotal
            ? `${formatBytes(p.bytesTotal)} hashed`
            : `${Math.floor(pct)}% · ${formatBytes(rate)}/s · ${Math.ceil((p.bytesTotal - p.bytesDone) / rate)}s left`;
      progress.report({ increment: pct - reported, message });
      reported = pct;
    };
    return job(ac.signal, onProgress);
  });
}
