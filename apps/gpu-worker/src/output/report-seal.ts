import type { JWK } from 'jose';
import { TaskReport } from '@airlock/contracts';
import { signReport } from '@airlock/crypto/node';

interface Liar {
  beforeSigning(report: TaskReport): TaskReport;
  afterSigning(report: TaskReport): TaskReport;
}

/** Every report leaves the worker signed with the fleet key (the verifier refuses any other). */
export function reportSealer(signingJwk: JWK, liar?: Liar): (report: TaskReport) => Promise<TaskReport> {
  if (!liar) return (report) => signReport(report, signingJwk);
  return async (report) => liar.afterSigning(await signReport(liar.beforeSigning(report), signingJwk));
}
