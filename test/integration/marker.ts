/** index.ts prints this before the tests start; test/e2e/runVsCode.ts shows the extension host's output from there on. */
export const START_MARKER = '[integration] running';

/**
 * Scratch space of the suite, beside the workspace folder (in the runner's own temporary directory,
 * so parallel runs never share it); the runner removes it even when it keeps a failed run's directory.
 */
export const INTEGRATION_SCRATCH = 'integration-scratch';
