// A bare DSSE envelope, one per line in `.intoto.jsonl`, with the Fulcio
// certificate in `signatures[].cert` as the SLSA generic generator writes it.
import { checkEnvelope, decodeBase64, normalisePem, paeSignatureRules } from '../envelope';
import { parseInTotoStatement } from '../inTotoStatement';
import { ProvenanceReader, byLine } from './reader';

export const dsseEnvelopeReader: ProvenanceReader = {
  what: 'a DSSE envelope',
  accepts: (value) => 'payloadType' in value && 'payload' in value && 'signatures' in value,
  read: (value, { file, where, index }) => {
    const envelope = checkEnvelope(value, where);
    const payload = decodeBase64(envelope.payload, where, 'payload');
    const cert = (envelope.signatures as Array<{ cert?: unknown }>).find((s) => typeof s.cert === 'string' && s.cert.trim() !== '')?.cert as string | undefined;
    return [
      {
        form: 'dsse',
        file,
        index,
        envelope,
        ...(cert ? { certificatePem: normalisePem(cert, where) } : {}),
        label: { form: 'DSSE envelope', formDetail: 'DSSE envelope', position: byLine() },
        keySignature: paeSignatureRules(envelope, 'This DSSE envelope carries no certificate'),
        alternative: false,
        payload,
        statement: parseInTotoStatement(payload, where),
      },
    ];
  },
};
