import { describe, expect, it } from 'vitest';
import { parseModelCard, readWeightFacts } from '../../src/bom/index.js';
import { fixture } from '../helpers.js';

describe('model card front matter', () => {
  it('reads licence (license_name for `other`), datasets, task, tags, base model and sections', () => {
    const card = parseModelCard('---\nlicense: other\nlicense_name: llama3\ndatasets: squad\npipeline_tag: question-answering\nbase_model:\n  - meta-llama/Meta-Llama-3-8B\n---\n# M\n## Out-of-Scope Use\nNot for medical advice.\n```\n## Limitations\n```\n', 'README.md');
    expect(card).toMatchObject({ license: 'llama3', datasets: ['squad'], pipelineTag: 'question-answering', baseModels: ['meta-llama/Meta-Llama-3-8B'], limitations: 'Not for medical advice.', problems: [] });
  });

  it('reports invalid YAML and wrongly typed fields as problems, never throws', () => {
    expect(parseModelCard('---\nlicense: [unclosed\n---\n', 'm/README.md').problems[0]).toMatch(/^m\/README\.md: the front matter is not valid YAML/);
    expect(parseModelCard('---\nlicense: 3\n---\n', 'README.md').problems[0]).toMatch(/'license'/);
    expect(parseModelCard('# no front matter', 'README.md')).toMatchObject({ datasets: [], problems: [] });
  });
});

describe('weights facts from the shared parsers', () => {
  it('counts GGUF parameters and ggml types', async () => {
    const w = await readWeightFacts(fixture('gguf/clean_llama3.gguf'), 'clean_llama3.gguf');
    expect(w.format).toBe('gguf');
    expect(w.error).toBeUndefined();
    expect(w.parameters).toBeGreaterThan(0);
    expect(Object.values(w.dtypes).reduce((a, b) => a + b, 0)).toBe(w.parameters);
  });

  it('counts ONNX initialiser parameters by data type', async () => {
    const w = await readWeightFacts(fixture('onnx/clean_gemm_relu.onnx'), 'clean_gemm_relu.onnx');
    expect(w.format).toBe('onnx');
    expect(w.parameters).toBeGreaterThan(0);
    expect(Object.keys(w.dtypes)).toContain('FLOAT');
  });

  it('lists pickle-based weights without parsing them', async () => {
    expect(await readWeightFacts('/nonexistent/model.bin', 'model.bin')).toEqual({ file: 'model.bin', format: 'pytorch', dtypes: {} });
  });
});
