// The page's one channel to the extension. acquireVsCodeApi may be called once per page, so it is
// called here, when the bundle loads, and nowhere else.
import type { FromWebview } from '../../extension/provenanceMessages';

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();

export function postToHost(message: FromWebview): void {
  vscode.postMessage(message);
}
