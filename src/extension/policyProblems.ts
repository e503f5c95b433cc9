import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { ModelSigningError, PolicyErrorData, isModelSigningError, jsonPathRange, policyFilePath } from '../core';

/**
 * A broken policy (file or setting): a model it may govern is shown as a
 * policy error, never as verified and never as trust on first use.
 */
export function isPolicyError(e: unknown): e is ModelSigningError<PolicyErrorData> {
  return isModelSigningError(e) && (e.code === 'POLICY_INVALID' || e.code === 'POLICY_UNREADABLE');
}

/**
 * The Problems entry of a workspace folder's policy file: the error, on the
 * offending value where it can be found, or none when the file is fine (or
 * the error is in the setting).
 */
export function showPolicyProblem(diagnostics: vscode.DiagnosticCollection, workspaceRoot: string, error?: ModelSigningError<PolicyErrorData>): void {
  const file = policyFilePath(workspaceRoot);
  const uri = vscode.Uri.file(file);
  if (!error || error.data.source !== file) {
    diagnostics.delete(uri);
    return;
  }
  const d = new vscode.Diagnostic(rangeOf(file, error.data), error.data.why ?? error.message, vscode.DiagnosticSeverity.Error);
  d.source = 'model-signing';
  d.code = error.code;
  diagnostics.set(uri, [d]);
}

function rangeOf(file: string, data: PolicyErrorData): vscode.Range {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return new vscode.Range(0, 0, 0, 0);
  }
  const r = jsonPathRange(text, data.jsonPath);
  if (r) return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  // A syntax error: its line and column (1-based).
  if (data.line !== undefined) return new vscode.Range(data.line - 1, (data.column ?? 1) - 1, data.line - 1, data.column ?? 1);
  return new vscode.Range(0, 0, 0, 0);
}
