// The forms a provenance file may hold. A new form is one reader in this
// folder (reader.ts says what it does) and one line here.
import { cloudBuildReader } from './cloudBuild';
import { dsseEnvelopeReader } from './dsseEnvelope';
import type { ProvenanceReader } from './reader';
import { sigstoreBundleReader } from './sigstoreBundle';

/**
 * Every form a provenance file may hold, in the order they are tried (so
 * gcloud output that also had an envelope's keys is read as gcloud output).
 */
export const PROVENANCE_READERS: readonly ProvenanceReader[] = [sigstoreBundleReader, cloudBuildReader, dsseEnvelopeReader];
