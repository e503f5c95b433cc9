// Keras v3 `.keras` files: a zip holding config.json (the model's serialized
// config), metadata.json (keras_version, date_saved) and the weights
// (model.weights.h5, or model.weights.npz).
import { readZipMember, type ZipListing } from './zip';
import type { DetectContext, ModelFormat } from './types';
import { parseJson } from '../io/parseJson';

/** The small JSON members are read whole up to this size; past it, a prefix is searched instead. */
const JSON_MEMBER_LIMIT = 1024 * 1024;

export async function detectKeras(ctx: DetectContext, zip: ZipListing): Promise<ModelFormat | undefined> {
  const byName = new Map(zip.entries.map((e) => [e.name, e]));
  const config = byName.get('config.json');
  const metadata = byName.get('metadata.json');
  if (!config || !metadata) return undefined;

  const facts: Record<string, string | number> = {};
  const limit = Math.min(JSON_MEMBER_LIMIT, ctx.maxHeaderBytes);
  const meta = await readJsonMember(ctx, metadata, limit);
  if (meta) {
    copyString(facts, 'keras_version', meta.value.keras_version, meta.text);
    copyString(facts, 'date_saved', meta.value.date_saved, meta.text);
  }
  const conf = await readJsonMember(ctx, config, ctx.maxHeaderBytes);
  if (conf) {
    copyString(facts, 'class_name', conf.value.class_name, conf.text);
    const inner = conf.value.config;
    const name = inner && typeof inner === 'object' ? (inner as Record<string, unknown>).name : undefined;
    copyString(facts, 'name', name, conf.text);
  }
  const weights = zip.entries.find((e) => /^model\.weights\.(h5|npz)$/.test(e.name));
  if (weights) facts.weights = weights.name;
  // Two JSON members with those names are not enough: a Keras config or the weights member must be there too.
  if (!('keras_version' in facts) && !('class_name' in facts) && !weights) return undefined;
  return { kind: 'keras', label: 'Keras v3 (.keras)', facts };
}

interface JsonMember {
  /** The parsed object, or {} when the member was cut at the limit or is not JSON. */
  value: Record<string, unknown>;
  /** The raw text, searched when it did not parse. */
  text: string;
}

async function readJsonMember(ctx: DetectContext, entry: Parameters<typeof readZipMember>[1], limit: number): Promise<JsonMember | undefined> {
  const bytes = await readZipMember(ctx, entry, limit);
  if (!bytes) return undefined;
  const text = bytes.toString('utf8');
  try {
    const value: unknown = parseJson(text, (why) => new Error(why));
    if (value && typeof value === 'object' && !Array.isArray(value)) return { value: value as Record<string, unknown>, text: '' };
  } catch {
    // cut at the limit: fall back to searching the text
  }
  return { value: {}, text };
}

/** Sets facts[key] from the parsed value, or else from the first `"key": "…"` in a text that did not parse. */
function copyString(facts: Record<string, string | number>, key: string, value: unknown, text: string): void {
  if (typeof value === 'string' && value) {
    facts[key] = value;
    return;
  }
  if (!text) return;
  const m = new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){1,200})"`).exec(text);
  if (m?.[1]) facts[key] = m[1];
}
