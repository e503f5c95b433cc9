/** index.ts prints this before the tests start; test/e2e/runVsCode.ts shows the extension host's output from there on. */
export const START_MARKER = '[integration] running';
