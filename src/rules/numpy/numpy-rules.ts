import { defineRuleMeta, DESERIALISATION_TAGS, locationIn } from '../meta.js';
import type { NpyFacts, Rule } from '../types.js';

/** BW-NPY-001: an object-dtype array, loadable only with allow_pickle=True. */
export const objectArrayRule: Rule<NpyFacts> = {
  meta: defineRuleMeta('BW-NPY-001', 'numpy/object-array', 'NumPy array with object dtype embeds a pickle', 'low', DESERIALISATION_TAGS),
  appliesTo: 'npy',
  *check(facts, ctx) {
    const location = locationIn(ctx, facts.dataOffset);
    yield {
      ruleId: 'BW-NPY-001',
      message: `Array of dtype ${facts.descr} and shape (${facts.shape.join(', ')}) holds Python objects: its data is a pickle (scanned separately) and loading it needs allow_pickle=True, which also lets any other pickle in run.`,
      location,
      evidence: { descr: facts.descr },
      key: 'object-array',
    };
  },
};

/** The NumPy rules. */
export const NUMPY_RULES = [objectArrayRule] as const;
