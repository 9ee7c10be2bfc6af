import { decodeJwt } from 'jose';
import { generateSigningKeyPair, signJobToken, verifyJobToken } from './job-token';
import { signVerifierToken, verifyVerifierToken } from './verifier-token';

/**
 * Runs `sign` under a clock that moves 1 ms at every read and starts 1 ms before a second ticks
 * over, so two reads of it (one for iat, one for exp) land in different seconds.
 */
async function signAcrossASecond(sign: () => Promise<string>): Promise<string> {
  const RealDate = Date;
  let t = Math.floor(RealDate.now() / 1000) * 1000 + 999;
  class TickingDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor>) {
      if (args.length > 0) super(...args);
      else super(t++);
    }

    static override now(): number {
      return t++;
    }
  }
  globalThis.Date = TickingDate as DateConstructor;
  try {
    return await sign();
  } finally {
    globalThis.Date = RealDate;
  }
}

describe('token lifetimes across a second boundary', () => {
  it('signs a job token that lives exactly its TTL, which a policy of that TTL accepts', async () => {
    const fleet = await generateSigningKeyPair('fleet-1');
    const token = await signAcrossASecond(() => signJobToken({ workerId: 'w', attemptId: 'a', mediaId: 'm', jobId: 'j', taskId: 't' }, fleet.privateJwk, 600));
    const { iat, exp } = decodeJwt(token);
    expect((exp ?? 0) - (iat ?? 0)).toBe(600);
    await expect(verifyJobToken(token, [fleet.publicJwk], 600)).resolves.toMatchObject({ taskId: 't' });
  });

  it('signs a verifier token that lives exactly its TTL', async () => {
    const verifier = await generateSigningKeyPair('verifier-1');
    const token = await signAcrossASecond(() => signVerifierToken({ mediaId: 'm', jobId: 'j', verifyJob: 'v' }, verifier.privateJwk, 120));
    const { iat, exp } = decodeJwt(token);
    expect((exp ?? 0) - (iat ?? 0)).toBe(120);
    expect(await verifyVerifierToken(token, [verifier.publicJwk], 120)).toMatchObject({ verifyJob: 'v' });
  });
});
