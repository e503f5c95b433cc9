// PKCS #11 URIs as the reference's Pkcs11URI accepts them (tests/_signing/pkcs11uri_test.py), and
// where this parser is stricter (a malformed % escape, a slot-id that is not a number).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isModelSigningError } from '../../src/core/errors';
import { pkcs11ModulePath } from '../../src/core/pkcs11/modulePath';
import { pinFromUri } from '../../src/core/pkcs11/pin';
import { formatPkcs11Uri, parsePkcs11Uri, pathText, queryText } from '../../src/core/pkcs11/pkcs11Uri';
import { tempDir } from '../helpers/fixtures';

function refused(uri: string, message: RegExp, code = 'PKCS11_URI_INVALID'): void {
  assert.throws(
    () => parsePkcs11Uri(uri),
    (e: unknown) => isModelSigningError(e) && e.code === code && message.test(e.message),
    uri,
  );
}

describe('PKCS #11 URIs', () => {
  it("parses the reference's example URIs (RFC 7512's), and writes them back as long as they were", () => {
    for (const uri of [
      'pkcs11:',
      'pkcs11:object=my-pubkey;type=public',
      'pkcs11:object=my-key;type=private?pin-source=file:/etc/token',
      'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin',
      'pkcs11:object=my-sign-key;type=private?module-name=mypkcs11',
      'pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1',
      'pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin',
      'pkcs11:slot-description=Sun%20Metaslot',
      'pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23',
      'pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ca%fe%04%05%06',
      'pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert',
      'pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert',
      'pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b',
    ]) {
      const parsed = parsePkcs11Uri(uri);
      const again = formatPkcs11Uri({ path: [...parsed.path], query: [...parsed.query].map(([k, v]) => [k, v.toString('utf8')] as const) });
      assert.equal(again.length, uri.length, uri);
      assert.deepEqual(parsePkcs11Uri(again), parsed, uri);
    }
  });

  it('percent-decodes values: text as UTF-8, id as bytes; the reserved characters stand for themselves', () => {
    const uri = parsePkcs11Uri('pkcs11:token=My%20token%25%20created%20by%20Joe;id=%01%02%03%Ba%dd?pin-value=the%20pin');
    assert.equal(pathText(uri, 'token'), 'My token% created by Joe');
    assert.deepEqual(uri.path.get('id'), Buffer.from([1, 2, 3, 0xba, 0xdd]));
    assert.equal(queryText(uri, 'pin-value'), 'the pin');
    const special = parsePkcs11Uri("pkcs11:token=:[]@!$'()*+,=&?attr=:[]@!$'()*+,=/?");
    assert.equal(pathText(special, 'token'), ":[]@!$'()*+,=&");
    assert.equal(queryText(special, 'attr'), ":[]@!$'()*+,=/?");
    assert.equal(pathText(parsePkcs11Uri('pkcs11:token=Name%20with%20acute:%20%C3%A1'), 'token'), 'Name with acute: á');
    assert.equal(
      formatPkcs11Uri({
        path: [
          ['token', 'a;b c'],
          ['id', Buffer.from('foo')],
        ],
        query: [['pin-value', 'x&y']],
      }),
      'pkcs11:token=a%3Bb%20c;id=%66%6F%6F?pin-value=x%26y',
    );
    assert.equal(pathText(parsePkcs11Uri('PKCS11:token=t'), 'token'), 't', 'the scheme in any case, as RFC 3986');
  });

  it("refuses what the reference refuses: a wrong scheme, attributes without '=' or twice, bad slot-id, library-version and type, both PINs, a relative module-path", () => {
    refused('pkcs12:token=t', /must start with 'pkcs11:'/);
    refused('pkcs11:token', /malformed path attribute/);
    refused('pkcs11:token=t;', /malformed path attribute/);
    refused('pkcs11:token=t?', /malformed query attribute/);
    refused('pkcs11:token=a;token=b', /duplicate path attribute 'token'/);
    refused('pkcs11:?pin-value=1&pin-value=2', /duplicate query attribute 'pin-value'/);
    refused('pkcs11:slot-id=foo', /slot-id must be a number/);
    refused('pkcs11:library-version=foo', /library-version 'foo'/);
    refused('pkcs11:library-version=1.bar', /library-version '1.bar'/);
    refused('pkcs11:type=foobar', /invalid type 'foobar'/);
    refused('pkcs11:token=t?pin-value=1234&pin-source=/p', /both pin-source and pin-value/);
    refused('pkcs11:token=t?module-path=lib/x.so', /module-path 'lib\/x.so' must be absolute/);
    for (const ok of ['pkcs11:slot-id=1', 'pkcs11:library-version=7', 'pkcs11:library-version=1.8', 'pkcs11:type=public', 'pkcs11:type=']) parsePkcs11Uri(ok);
  });

  it('is stricter than the reference where it lets a mistake through: a bad % escape, an empty name, a slot-id not a whole number below 2^32', () => {
    refused('pkcs11:token=100%', /'%' in attribute 'token' is not followed by two hex digits/);
    refused('pkcs11:id=%zz', /'%' in attribute 'id'/);
    refused('pkcs11:=x', /malformed path attribute/);
    refused('pkcs11:slot-id=1a', /slot-id must be a number/);
    refused('pkcs11:slot-id=4294967296', /slot-id must be a number below 2\^32/);
    parsePkcs11Uri('pkcs11:slot-id=4294967295');
  });

  it('gives the PIN of pin-value, or of the file pin-source names (a path or a file: URI; one final line break dropped)', () => {
    const dir = tempDir('ms-pin-');
    const file = path.join(dir, 'pin file');
    fs.writeFileSync(file, '4321\n');
    const escaped = file.replace(/ /g, '%20');
    assert.equal(pinFromUri(parsePkcs11Uri('pkcs11:token=t?pin-value=the%20pin')), 'the pin');
    assert.equal(pinFromUri(parsePkcs11Uri(`pkcs11:token=t?pin-source=${escaped}`)), '4321');
    assert.equal(pinFromUri(parsePkcs11Uri(`pkcs11:token=t?pin-source=file:${escaped}`)), '4321');
    assert.equal(pinFromUri(parsePkcs11Uri(`pkcs11:token=t?pin-source=file://${escaped}`)), '4321');
    assert.equal(pinFromUri(parsePkcs11Uri(`pkcs11:token=t?pin-source=file://localhost${escaped}`)), '4321');
    assert.equal(pinFromUri(parsePkcs11Uri('pkcs11:token=t')), undefined);
    const bad = (uri: string, message: RegExp) =>
      assert.throws(
        () => pinFromUri(parsePkcs11Uri(uri)),
        (e: unknown) => isModelSigningError(e) && message.test(e.message) && !e.message.includes('4321'),
        uri,
      );
    bad('pkcs11:token=t?pin-source=https://example.com/pin', /pin-source scheme 'https' is not supported/);
    bad('pkcs11:token=t?pin-source=file://otherhost/pin', /another host 'otherhost'/);
    bad('pkcs11:token=t?pin-source=pin.txt', /pin-source path 'pin.txt' is not absolute/);
    bad(`pkcs11:token=t?pin-source=${dir}/missing`, /Cannot read the PIN file/);
  });

  it('finds the module: module-path a file is that file; module-name is looked for in module-path a folder, or the standard folders', () => {
    const dir = tempDir('ms-modules-');
    for (const f of ['libother.so', 'libsofthsm2.so', 'libsofthsm2x.so']) fs.writeFileSync(path.join(dir, f), '');
    const module = (uri: string, dirs?: string[]) => pkcs11ModulePath(parsePkcs11Uri(uri), dirs);
    assert.equal(module(`pkcs11:?module-path=${dir}/libother.so`), `${dir}/libother.so`);
    assert.equal(module(`pkcs11:?module-path=${dir}&module-name=SoftHSM2`), path.join(dir, 'libsofthsm2.so'));
    assert.equal(module('pkcs11:?module-name=softhsm2', ['/nonexistent/', dir]), path.join(dir, 'libsofthsm2.so'));
    const bad = (uri: string, message: RegExp, dirs?: string[]) =>
      assert.throws(
        () => module(uri, dirs),
        (e: unknown) => isModelSigningError(e) && e.code === 'PKCS11_MODULE_NOT_FOUND' && message.test(e.message),
        uri,
      );
    bad(`pkcs11:?module-path=${dir}/missing.so`, /module '.*missing.so' does not exist/);
    bad('pkcs11:?module-path=/dev/null', /is not a file/);
    bad('pkcs11:token=t', /names no module: add \?module-path=/);
    bad('pkcs11:?module-name=softhsm', /No PKCS #11 module 'softhsm' could be found in \/nonexistent\//, ['/nonexistent/']);
  });
});
