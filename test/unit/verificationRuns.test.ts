import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerificationRuns } from '../../src/extension/verificationRuns';

/** A verification held open until the test lets it finish; it records whether it was still the model's newest then. */
function heldRun(runs: VerificationRuns, model: string, quiet: boolean) {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let started = false;
  const outcome = runs.run(model, quiet, async (current) => {
    started = true;
    await held;
    return current();
  });
  return { outcome, release, started: () => started };
}

/** Lets every pending promise reaction run. */
const drain = () => new Promise<void>((r) => setImmediate(r));

describe('VerificationRuns: an older verification never replaces a newer one', () => {
  it('a quiet run that finishes after a later explicit one is no longer current', async () => {
    const runs = new VerificationRuns();
    const quiet = heldRun(runs, '/m', true);
    await drain();
    const explicit = heldRun(runs, '/m', false);
    explicit.release();
    assert.equal(await explicit.outcome, true);
    quiet.release();
    assert.equal(await quiet.outcome, false, 'the older quiet result is dropped');
  });

  it('a quiet run waits for an explicit run in progress, then is the newest', async () => {
    const runs = new VerificationRuns();
    const explicit = heldRun(runs, '/m', false);
    const quiet = heldRun(runs, '/m', true);
    await drain();
    assert.equal(quiet.started(), false, 'the quiet run has not started while Verify Model runs');
    explicit.release();
    assert.equal(await explicit.outcome, true);
    await drain();
    assert.equal(quiet.started(), true);
    quiet.release();
    assert.equal(await quiet.outcome, true);
  });

  it('a quiet run waits for an explicit run that fails, too', async () => {
    const runs = new VerificationRuns();
    const failing = runs.run('/m', false, () => Promise.reject(new Error('cancelled')));
    const quiet = heldRun(runs, '/m', true);
    await assert.rejects(failing);
    await drain();
    assert.equal(quiet.started(), true);
    quiet.release();
    assert.equal(await quiet.outcome, true);
  });

  it('of two explicit runs the later wins; other models are not affected', async () => {
    const runs = new VerificationRuns();
    const first = heldRun(runs, '/m', false);
    const second = heldRun(runs, '/m', false);
    const other = heldRun(runs, '/other', true);
    await drain();
    assert.equal(other.started(), true, "another model's quiet run does not wait");
    second.release();
    first.release();
    other.release();
    assert.deepEqual(await Promise.all([first.outcome, second.outcome, other.outcome]), [false, true, true]);
  });
});
