/** The DSSE payload type of every OMS signature. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * DSSE v1 pre-authentication encoding: the bytes that are actually signed.
 * `DSSEv1 SP len(type) SP type SP len(payload) SP payload`, lengths in bytes.
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/**
 * The reference's v0.2 encoding, still tried when `pae` fails: a capital `V`
 * and the payload written as Python's `repr()` of a bytes object.
 */
export function paeCompat(payload: Uint8Array): Buffer {
  return Buffer.from(`DSSEV1 ${IN_TOTO_PAYLOAD_TYPE.length} ${IN_TOTO_PAYLOAD_TYPE} ${payload.length} ${pythonBytesRepr(payload)}`, 'utf8');
}

/** Python's `repr(b'...')`: single quotes unless the bytes hold `'` and no `"`. */
export function pythonBytesRepr(bytes: Uint8Array): string {
  const hasSingle = bytes.includes(0x27);
  const quote = hasSingle && !bytes.includes(0x22) ? '"' : "'";
  let out = 'b' + quote;
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === quote.charCodeAt(0)) out += '\\' + quote;
    else if (b < 0x20 || b >= 0x7f) out += '\\x' + b.toString(16).padStart(2, '0');
    else out += String.fromCharCode(b);
  }
  return out + quote;
}
