// PyTorch files: torch.save zip archives (state dicts, pickled whole models),
// TorchScript archives (torch.jit.save), and the legacy non-zip torch.save pickles.
//
// A torch.save zip has one top folder, the archive name, holding data.pkl (the
// pickled object, stored uncompressed), a version record (`version`,
// `.data/version` or `.format_version`) and one member per tensor storage,
// `data/<n>`. TorchScript archives also hold the model's code under `code/` and
// `constants.pkl`.
//
// State dict or whole model is a HEURISTIC on the globals data.pkl imports, found
// by walking its pickle opcodes (nothing is unpickled): a pickled nn.Module
// imports its classes — `torch.nn.modules.*`, `torch.nn.parallel.*`, or a class
// from `__main__` — while a state dict imports only `collections.OrderedDict`,
// the tensor rebuild functions and storage types. A model made only of classes
// from the user's own package, without a single torch.nn layer, would pass for a
// state dict; checkpoints (a dict holding state dicts, epoch, optimizer state)
// count as state dicts.
import { walkPickle, type PickleWalk } from './pickle';
import { readZipMember, type ZipListing } from './zip';
import type { DetectContext, ModelFormat } from './types';

/** The first pickle of a legacy torch.save file: LONG1 of the magic number 0x1950a86a20f9469cfc6c, then STOP. */
const LEGACY_MAGIC = Buffer.from([0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
const VERSION_RECORDS = ['version', '.data/version', '.format_version'];
const MODULE_CLASS = /^(?:__main__|torch\.nn\.modules|torch\.nn\.parallel)(?:\.|$)/;

export async function detectTorchZip(ctx: DetectContext, zip: ZipListing): Promise<ModelFormat | undefined> {
  const pkl = zip.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (!pkl) return undefined;
  const archive = pkl.name.slice(0, pkl.name.indexOf('/'));
  const prefix = `${archive}/`;
  const names = new Set(zip.entries.map((e) => e.name));
  const versionEntry = VERSION_RECORDS.map((r) => zip.entries.find((e) => e.name === prefix + r)).find((e) => e !== undefined);
  if (!versionEntry) return undefined;

  const facts: Record<string, string | number> = { archive };
  const version = (await readZipMember(ctx, versionEntry, 64))?.toString('latin1').trim();
  if (version && /^\d+$/.test(version)) facts.version = Number(version);
  facts.tensors = zip.entries.filter((e) => e.name.startsWith(`${prefix}data/`) && /^\d+$/.test(e.name.slice(prefix.length + 5))).length;
  if (!zip.complete) facts.members_listed = `${zip.entries.length} of ${zip.declared}`;

  const data = await readZipMember(ctx, pkl, ctx.scanBytes);
  const walk = data ? walkPickle(data) : undefined;

  const code = zip.entries.filter((e) => e.name.startsWith(`${prefix}code/`) && !e.name.endsWith('/'));
  if (code.length > 0 || names.has(`${prefix}constants.pkl`)) {
    facts.code_files = code.filter((e) => e.name.endsWith('.py')).length;
    if (walk?.root) facts.model_class = walk.root;
    return { kind: 'torchscript', label: 'TorchScript', facts };
  }
  return classify(walk, facts, '');
}

export async function detectLegacyTorch(ctx: DetectContext): Promise<ModelFormat | undefined> {
  const { head } = ctx;
  if (head.length < 2 + LEGACY_MAGIC.length || head[0] !== 0x80 || !head.subarray(2, 2 + LEGACY_MAGIC.length).equals(LEGACY_MAGIC)) return undefined;
  const buf = head.length >= Math.min(ctx.scanBytes, ctx.source.size) ? head : await ctx.source.read(0, ctx.scanBytes);
  // Four pickles in a row: the magic number, the protocol version, sys_info, then the saved object.
  let at = 0;
  for (let i = 0; i < 3 && at >= 0; i++) at = walkPickle(buf, at).end;
  const walk = at >= 0 ? walkPickle(buf, at) : undefined;
  return classify(walk, { serialization: 'legacy' }, ' (legacy)');
}

function classify(walk: PickleWalk | undefined, facts: Record<string, string | number>, suffix: string): ModelFormat {
  if (walk?.root) facts.root = walk.root;
  if (walk) facts.pickle_globals = new Set(walk.globals.map((g) => `${g.module}.${g.name}`)).size;
  const moduleClass = walk?.globals.find((g) => MODULE_CLASS.test(g.module));
  if (walk && moduleClass) {
    const root = walk.root && !['dict', 'list', 'tuple', 'set', 'collections.OrderedDict'].includes(walk.root) ? walk.root : undefined;
    facts.model_class = root ?? `${moduleClass.module}.${moduleClass.name}`;
    delete facts.root;
    return { kind: 'pytorch-full-model', label: `PyTorch pickled model${suffix}`, facts };
  }
  return { kind: 'pytorch-state-dict', label: `PyTorch state dict${suffix}`, facts };
}
