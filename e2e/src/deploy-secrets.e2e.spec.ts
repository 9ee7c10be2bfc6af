import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** What scripts/validate-deploy.mjs reads. */
const INPUTS = [
  'scripts/validate-deploy.mjs',
  'deploy/k8s',
  'docker-compose.yml',
  'Dockerfile',
  'libs/telemetry/src/lib/health.controller.ts',
  'libs/config/src/lib/development-secrets.json',
  'libs/config/src/lib/service.config.ts',
];

/**
 * scripts/validate-deploy.mjs (in `npm test`) refuses a deployment that would ship a development
 * secret or a password in the repository, and an image whose runtime is the build stage, runs as
 * root or carries the whole source. Each case edits one file of a copy of the repository's.
 */
describe('validate-deploy: secrets and the runtime image', () => {
  let copy: string;

  beforeEach(() => {
    copy = mkdtempSync(join(tmpdir(), 'airlock-deploy-'));
    for (const path of INPUTS) {
      mkdirSync(dirname(join(copy, path)), { recursive: true });
      cpSync(join(ROOT, path), join(copy, path), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  const edit = (path: string, from: string | RegExp, to: string) => {
    const text = readFileSync(join(copy, path), 'utf8');
    const next = text.replace(from, to);
    expect(next).not.toBe(text);
    writeFileSync(join(copy, path), next);
  };
  const validate = () => {
    // No docker or kubectl on PATH: the checks under test are the script's own.
    const res = spawnSync(process.execPath, [join(copy, 'scripts/validate-deploy.mjs')], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
    return { status: res.status, problems: res.stderr };
  };

  it("passes the repository's own files", () => {
    expect(validate()).toEqual({ status: 0, problems: '' });
  });

  it.each<[string, string, string | RegExp, string, RegExp]>([
    ['a compose secret written as a literal', 'docker-compose.yml', /S3_SECRET_KEY: \$\{S3_SECRET_KEY:\?[^}]*\}/, 'S3_SECRET_KEY: a-literal-secret', /S3_SECRET_KEY is a plain literal/],
    ['MinIO with a fixed root password', 'docker-compose.yml', /MINIO_ROOT_PASSWORD: \$\{S3_SECRET_KEY:\?[^}]*\}/, 'MINIO_ROOT_PASSWORD: airlock-secret', /holds the development value airlock-secret/],
    ['a password in a compose URL', 'docker-compose.yml', /postgres:\$\{POSTGRES_PASSWORD:\?[^}]*\}@/g, 'postgres:airlock@', /DATABASE_URL writes a password into the URL/],
    ['the api without its tenant keys', 'docker-compose.yml', /\n {6}TENANT_KEYS: .*/, '', /api: TENANT_KEYS is not set/],
    ['the development tenant key', 'docker-compose.yml', /TENANT_KEYS: \$\{TENANT_KEYS:\?[^}]*\}/, 'TENANT_KEYS: dev:airlock-dev-key', /holds the development value airlock-dev-key/],
    ['a k8s secret as a plain value', 'deploy/k8s/base/api.yaml', /- name: ADMIN_PASSWORD\n\s+valueFrom: .*/, '- { name: ADMIN_PASSWORD, value: hunter2hunter2 }', /ADMIN_PASSWORD is a plain literal/],
    ['k8s without the tenant keys', 'deploy/k8s/base/api.yaml', / *- name: TENANT_KEYS\n\s+valueFrom: .*\n/, '', /container api: TENANT_KEYS is not set/],
    ['secretGenerator literals', 'deploy/k8s/overlays/local/kustomization.yaml', /^patches:/m, 'secretGenerator:\n  - name: airlock-credentials\n    literals:\n      - ADMIN_USER=ops\npatches:', /literal secret values in the repository/],
    ['the runtime image from the build stage', 'Dockerfile', 'FROM node:20-bookworm-slim AS runtime', 'FROM build AS runtime', /runtime stage is FROM build/],
    ['the runtime image as root', 'Dockerfile', /^USER node$(?![\s\S]*^USER)/m, '', /runtime stage has no USER/],
    ['the whole source in the runtime image', 'Dockerfile', /^COPY --from=build .*$(?![\s\S]*^COPY --from)/m, 'COPY . .', /copies the whole build context/],
    ['dev dependencies in the runtime image', 'Dockerfile', /--omit=dev/g, '', /no production-only dependencies/],
  ])('refuses %s', (_what, path, from, to, problem) => {
    edit(path, from, to);
    const { status, problems } = validate();
    expect(status).toBe(1);
    expect(problems).toMatch(problem);
  });
});
