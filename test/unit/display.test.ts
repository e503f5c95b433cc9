import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SafeText, displayDeep, displayText, jsonText, joinText, safeText } from '../../src/core/display';
import { ModelSigningError } from '../../src/core/errors';
import { UNSAFE_CHARS } from '../helpers/unsafeText';

describe('displayText: untrusted text as one visible line', () => {
  const cases: Array<[string, string, string]> = [
    ['carriage return, line feed, tab', 'a\rb\nc\td', 'a\\rb\\nc\\td'],
    ['other C0 controls and ESC', '\u0000\u0007\u0008\u001b[2K', '\\x00\\x07\\x08\\x1b[2K'],
    ['DEL', 'x\u007fy', 'x\\x7fy'],
    ['C1 controls (CSI, NEL, OSC)', '\u009b2K\u0085\u009d', '\\x9b2K\\x85\\x9d'],
    ['bidi embeddings and overrides', '\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
    ['bidi isolates', '\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['bidi marks', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['lone surrogates', 'a\ud800b\udc00', 'a\\ud800b\\udc00'],
    ['printable text is kept, backslashes and non-Latin scripts too', 'C:\\m\\f.bin ñ 模型 😀 שלום', 'C:\\m\\f.bin ñ 模型 😀 שלום'],
  ];
  for (const [name, input, shown] of cases) {
    it(name, () => {
      const out = displayText(input);
      assert.equal(out, shown);
      assert.doesNotMatch(out, UNSAFE_CHARS);
      assert.equal(displayText(out), out, 'escaping twice changes nothing');
    });
  }

  it('the screen-clearing file name of the issue stays visible as what it is', () => {
    const name = '\r\u001b[2K\u001b[1A\u001b[2K\rVerification succeeded\u001b[K';
    assert.equal(displayText(name), '\\r\\x1b[2K\\x1b[1A\\x1b[2K\\rVerification succeeded\\x1b[K');
  });
});

describe('safeText: the literals are ours, every value is escaped', () => {
  it('escapes interpolated values and keeps our own newlines', () => {
    const name = 'evil\r\u001b[2Kname\u202e';
    assert.equal(String(safeText`changed: ${name}\nnext ${42}\n`), 'changed: evil\\r\\x1b[2Kname\\u202e\nnext 42\n');
  });

  it('SafeText is not escaped again, and joins with separators of ours', () => {
    const inner = safeText`a ${'\n'}`;
    assert.equal(String(safeText`[${inner}]`), '[a \\n]');
    assert.equal(String(joinText([safeText`${'x\ty'}`, safeText`z`], '\n')), 'x\\ty\nz');
  });

  it('cannot be made from a string without going through this module', () => {
    assert.throws(() => new (SafeText as unknown as new (k: symbol, t: string) => SafeText)(Symbol('SafeText'), '\u001b[2J'), TypeError);
  });
});

describe('jsonText and displayDeep', () => {
  it('jsonText is exact JSON with no raw control or bidi character', () => {
    const value = { names: ['\r\u001b[2Kx', 'a\u202eb', '\u009b\u007f\u2028'], '\u202ekey': 1 };
    const out = String(jsonText(value, 2));
    // Newlines of the indentation are ours; nothing else unsafe may be left.
    assert.doesNotMatch(out.replace(/\n/g, ''), UNSAFE_CHARS);
    assert.deepEqual(JSON.parse(out), value);
  });

  it('displayDeep escapes every string and key of a JSON-like value', () => {
    const out = displayDeep({ a: ['x\u001b', { '\u202ek': 'v\r' }], n: 1, b: true, z: null });
    assert.deepEqual(out, { a: ['x\\x1b', { '\\u202ek': 'v\\r' }], n: 1, b: true, z: null });
  });
});

describe('typed errors', () => {
  it('a ModelSigningError message shows the data escaped, and the data stays exact', () => {
    const file = 'weights\u001b[2K\r.bin\u202e';
    const e = new ModelSigningError('FILE_READ_ERROR', `Cannot read ${file}`, { path: file });
    assert.equal(e.message, 'Cannot read weights\\x1b[2K\\r.bin\\u202e');
    assert.equal(e.data.path, file);
  });
});
