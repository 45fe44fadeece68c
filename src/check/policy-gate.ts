import { fileURLToPath } from 'node:url';
import { evaluatePolicy, loadPolicyFile } from '../policy/index.js';
import { signerNames } from './evidence-sink.js';
import { projectPath } from './portable.js';
import type { CheckReason, PolicyGate } from './run-check.js';

/** The starter policy shipped with the tool (`policies/starter.yaml` in the package). */
export const STARTER_POLICY_PATH = fileURLToPath(new URL('../../policies/starter.yaml', import.meta.url));

/** How verdicts name the starter policy (its path differs per installation). */
export const STARTER_POLICY_SOURCE = 'bulwark:policies/starter.yaml';

/**
 * The policy engine (src/policy) as `bulwark check`'s gate: loads the project's policy (default:
 * the starter policy), maps each verified model to its configured signer name (the policy reads
 * `signature.signer`, a name, never a key file) and evaluates. Only failing and incomplete reasons
 * are the verdict's reasons; the full policy verdict (rules, warnings, allowed findings) rides along.
 */
export const policyGate: PolicyGate = {
  evaluate: async ({ config, reports, today }) => {
    const loaded = await loadPolicyFile(config.policy ?? STARTER_POLICY_PATH);
    // The verdict records its policy's source: project-relative, or the shipped starter by name,
    // so verdict.json does not carry this machine's paths.
    const policy = { ...loaded, source: config.policy !== undefined ? projectPath(config.root, config.policy) : STARTER_POLICY_SOURCE };
    const verdict = evaluatePolicy(policy, { reports: [...reports], signers: signerNames(config) }, { today });
    const reasons: CheckReason[] = verdict.reasons
      .filter((r) => r.effect === 'fail' || r.effect === 'incomplete')
      .map((r) => ({ rule: r.rule ?? r.code, ...(r.evidence !== undefined ? { kind: r.evidence } : {}), message: r.message }));
    return { verdict: verdict.verdict, reasons, policy: verdict };
  },
};
