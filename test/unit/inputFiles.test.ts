// The one reader of every input file and the one JSON parser of every JSON
// input: special files and oversized files are refused at once, before a byte
// is read, and JSON nested too deep is refused before anything recurses on it.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FormatError, InputFileOptions, jsonDepthExceeds, parseJson, readInputFile, readInputFileSync } from '../../src/core';
import { tempDir } from '../helpers/fixtures';

const OPTS: InputFileOptions = { what: 'test file', maxBytes: 1024, unreadableCode: 'FILE_READ_ERROR', tooLargeCode: 'BUNDLE_INVALID' };

function reason(e: unknown): string {
  assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
  return (e.data as { reason: string }).reason;
}

/** Both readers reject the file with this code and reason. */
async function assertRefused(file: string, code: string, why: string): Promise<void> {
  await assert.rejects(readInputFile(file, OPTS), (e: unknown) => reason(e) === why && (e as FormatError).code === code);
  assert.throws(() => readInputFileSync(file, OPTS), (e: unknown) => reason(e) === why && (e as FormatError).code === code);
}

describe('readInputFile', () => {
  it('reads a regular file, and one exactly at the cap', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, Buffer.alloc(1024, 0x61));
    assert.equal((await readInputFile(file, OPTS)).length, 1024);
    assert.equal(readInputFileSync(file, OPTS).length, 1024);
  });

  it('a named pipe with no writer: refused at once, not read (it would block forever)', { skip: process.platform === 'win32' }, async () => {
    const fifo = path.join(tempDir(), 'sig.fifo');
    execFileSync('mkfifo', [fifo]);
    await assertRefused(fifo, 'FILE_READ_ERROR', 'not-a-file');
  });

  it('a symlink to /dev/zero: refused before any byte is read', { skip: !fs.existsSync('/dev/zero') }, async () => {
    const link = path.join(tempDir(), 'zero.sig');
    fs.symlinkSync('/dev/zero', link);
    await assertRefused(link, 'FILE_READ_ERROR', 'not-a-file');
  });

  it('a folder: refused', async () => {
    await assertRefused(tempDir(), 'FILE_READ_ERROR', 'not-a-file');
  });

  it('one byte over the cap: the too-large code', async () => {
    const file = path.join(tempDir(), 'big');
    fs.writeFileSync(file, Buffer.alloc(1025));
    await assertRefused(file, 'BUNDLE_INVALID', 'too-large');
  });

  it('a missing file: the errno code as the reason', async () => {
    await assertRefused(path.join(tempDir(), 'nope'), 'FILE_READ_ERROR', 'ENOENT');
  });
});

describe('parseJson', () => {
  const fail = (why: string): Error => new Error(why);

  it('parses JSON nested up to the limit, and refuses one level more before parsing', () => {
    const nest = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    assert.deepEqual(parseJson(nest(3), fail, { maxDepth: 3 }), { a: { a: { a: 1 } } });
    assert.throws(() => parseJson(nest(4), fail, { maxDepth: 3 }), /nests deeper than 3 levels/);
  });

  it('100,000 levels (what crashed JSON.stringify) is refused with the default limit', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.throws(() => parseJson(deep, fail), /nests deeper than 100 levels/);
  });

  it('brackets inside strings, escaped quotes included, do not count', () => {
    const text = JSON.stringify({ s: '[[[[{{{{"\\"[[[[' });
    assert.equal(jsonDepthExceeds(text, 1), false);
    assert.deepEqual(parseJson(text, fail, { maxDepth: 1 }), { s: '[[[[{{{{"\\"[[[[' });
  });

  it('text that is not JSON: the caller’s error, without quoting the text', () => {
    assert.throws(() => parseJson('{secret', fail), (e: unknown) => (e as Error).message === 'is not JSON');
  });

  it('a length limit', () => {
    assert.throws(() => parseJson('[1,2,3]', fail, { maxLength: 3 }), /is too large/);
  });
});
