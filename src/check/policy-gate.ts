import { fileURLToPath } from 'node:url';
import { evaluatePolicy, loadPolicyFile } from '../policy/index.js';
import type { CheckReason, PolicyGate } from './run-check.js';

/** The starter policy shipped with the tool (`policies/starter.yaml` in the package). */
export const STARTER_POLICY_PATH = fileURLToPath(new URL('../../policies/starter.yaml', import.meta.url));

/**
 * The policy engine (src/policy) as `bulwark check`'s gate: loads the project's policy (default:
 * the starter policy), maps each verified model to its configured signer name (the policy reads
 * `signature.signer`, a name, never a key file) and evaluates. Only failing and incomplete reasons
 * are the verdict's reasons; the full policy verdict (rules, warnings, allowed findings) rides along.
 */
export const policyGate: PolicyGate = {
  evaluate: async ({ config, reports, today }) => {
    const policy = await loadPolicyFile(config.policy ?? STARTER_POLICY_PATH);
    const signers: Record<string, string> = {};
    for (const m of config.models) if (m.signer !== undefined) signers[m.path] = m.signer.name;
    const verdict = evaluatePolicy(policy, { reports: [...reports], signers }, { today });
    const reasons: CheckReason[] = verdict.reasons
      .filter((r) => r.effect === 'fail' || r.effect === 'incomplete')
      .map((r) => ({ rule: r.rule ?? r.code, ...(r.evidence !== undefined ? { kind: r.evidence } : {}), message: r.message }));
    return { verdict: verdict.verdict, reasons, policy: verdict };
  },
};
