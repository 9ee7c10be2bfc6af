import { JobName } from '@airlock/contracts';
import { SERVICE_JOBS, ServiceName } from './queue-names';
import { assertHandlers } from './worker-host';

const handler = () => Promise.resolve(undefined);

/** A handler map with exactly the service's jobs. */
function handlersFor(service: ServiceName): Record<string, unknown> {
  return Object.fromEntries(SERVICE_JOBS[service].map((name) => [name, handler]));
}

describe('assertHandlers', () => {
  it.each(Object.keys(SERVICE_JOBS) as ServiceName[])('passes for %s with exactly its jobs', (service) => {
    expect(() => assertHandlers(service, handlersFor(service))).not.toThrow();
  });

  it('throws naming a missing handler', () => {
    const handlers = handlersFor('orchestrator');
    delete handlers[JobName.TaskRecord];

    expect(() => assertHandlers('orchestrator', handlers)).toThrow(`missing [${JobName.TaskRecord}] unknown []`);
  });

  it('throws naming an unknown handler', () => {
    const handlers = { ...handlersFor('verifier'), [JobName.ManifestWrite]: handler };

    expect(() => assertHandlers('verifier', handlers)).toThrow(`missing [] unknown [${JobName.ManifestWrite}]`);
  });

  it('reports missing and unknown handlers together', () => {
    expect(() => assertHandlers('manifester', { 'made.up': handler })).toThrow(
      `manifester handlers do not match its jobs: missing [${JobName.ManifestWrite}] unknown [made.up]`,
    );
  });

  it('counts a key whose value is not a function as missing', () => {
    const handlers = { ...handlersFor('gpu-worker'), [JobName.AudioTranscode]: undefined };

    expect(() => assertHandlers('gpu-worker', handlers)).toThrow(`missing [${JobName.AudioTranscode}]`);
  });

  it('throws for an empty handler map', () => {
    expect(() => assertHandlers('verifier', {})).toThrow(`missing [${JobName.OutputsVerify}]`);
  });
});
