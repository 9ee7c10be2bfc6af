#!/usr/bin/env node
// Validates the deployment files without a cluster (CI: scripts/test-all.sh):
//  - every YAML document under deploy/k8s parses and matches the JSON schema of its kind
//    (deploy/k8s/schemas: a focused subset of the Kubernetes and KEDA APIs), patches match
//    the patch schema;
//  - kustomizations point at files that exist; ScaledObjects target a Deployment that exists
//    and read a lane's BullMQ wait list (<QUEUE_PREFIX>:<lane>:wait) that the target consumes;
//    airlock containers probe the health controller's real paths on their HTTP_PORT;
//  - a gpu-worker's WORKER_TMP_ROOT lies in memory that dies with its pod or container: a
//    `medium: Memory` emptyDir with a sizeLimit in Kubernetes, a tmpfs in compose;
//  - no secret is written in compose or deploy/k8s (compose takes each from .env as ${VAR:?...},
//    k8s from Secrets; no Secret data, secretGenerator literals or URL passwords), no development
//    default appears, and each service gets the secrets its production rule requires;
//  - the Dockerfile's last stage (runtime) starts from a clean base, not the build stage, runs as a
//    non-root USER with NODE_ENV=production and --omit=dev dependencies, copies no build context;
//  - docker-compose.yml parses and nothing pins a container name or a worker's host port
//    (`docker compose up --scale gpu-worker=4` must work); `docker compose config -q` and
//    `kubectl kustomize` run when those tools exist, and the built overlays are validated too.
// Exits 1 listing every problem as `file: message`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const k8sDir = join(root, 'deploy/k8s');
const schemaDir = join(k8sDir, 'schemas');
const problems = [];
const fail = (file, message) => problems.push(`${relative(root, file) || file}: ${message}`);

// The services' real health paths, read from the controller every service mounts.
const healthSource = readFileSync(join(root, 'libs/telemetry/src/lib/health.controller.ts'), 'utf8');
const healthPaths = [...healthSource.matchAll(/@Get\('([^']+)'\)/g)].map((m) => `/${m[1]}`);
const LIVENESS = healthPaths.find((p) => p === '/health');
const READINESS = healthPaths.find((p) => p === '/ready');
if (!LIVENESS || !READINESS) fail('libs/telemetry/src/lib/health.controller.ts', `expected @Get('health') and @Get('ready'), found ${healthPaths.join(', ') || 'none'}`);

// Lanes are the worker queues (libs/queue queue-names.ts).
const LANES = ['short', 'long', 'gpu'];

// Strict: an unknown keyword in a schema is an error; types and properties may come from the parent (allOf, not, if/then).
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const schemaFiles = readdirSync(schemaDir).filter((f) => f.endsWith('.schema.json'));
for (const f of schemaFiles) ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, f), 'utf8')));
const validators = {
  Deployment: ajv.getSchema('https://airlock.invalid/k8s/deployment'),
  Service: ajv.getSchema('https://airlock.invalid/k8s/service'),
  ConfigMap: ajv.getSchema('https://airlock.invalid/k8s/configmap'),
  Secret: ajv.getSchema('https://airlock.invalid/k8s/secret'),
  Job: ajv.getSchema('https://airlock.invalid/k8s/job'),
  ScaledObject: ajv.getSchema('https://airlock.invalid/k8s/scaledobject'),
  Kustomization: ajv.getSchema('https://airlock.invalid/k8s/kustomization'),
};
const patchValidator = ajv.getSchema('https://airlock.invalid/k8s/patch');

function yamlFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'schemas' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function parseDocs(file, text) {
  const docs = [];
  for (const doc of parseAllDocuments(text, { merge: true })) {
    if (doc.errors.length) {
      for (const e of doc.errors) fail(file, `YAML: ${e.message}`);
      continue;
    }
    const value = doc.toJS();
    if (value !== null && value !== undefined) docs.push(value);
  }
  return docs;
}

function check(file, doc, validate, what) {
  if (validate(doc)) return;
  for (const e of validate.errors ?? []) fail(file, `${what}${e.instancePath || '/'} ${e.message}${e.params && 'allowedValue' in e.params ? ` (${JSON.stringify(e.params.allowedValue)})` : ''}`);
}

function validateDoc(file, doc) {
  const what = `${doc?.kind ?? '?'} ${doc?.metadata?.name ?? ''}`.trim();
  const validate = validators[doc?.kind];
  if (!validate) return fail(file, `${what}: no schema for kind ${JSON.stringify(doc?.kind)} (add one under deploy/k8s/schemas)`);
  check(file, doc, validate, `${what} `);
}

// --- every file, by role -------------------------------------------------------------------
const files = yamlFiles(k8sDir);
const byFile = new Map(files.map((f) => [f, parseDocs(f, readFileSync(f, 'utf8'))]));
const kustomizations = files.filter((f) => /\/kustomization\.ya?ml$/.test(f));
const patchFiles = new Set();

for (const kfile of kustomizations) {
  const dir = dirname(kfile);
  for (const k of byFile.get(kfile)) {
    validateDoc(kfile, k);
    for (const r of k.resources ?? []) {
      const target = resolve(dir, r);
      if (!existsSync(target)) fail(kfile, `resource ${r} does not exist`);
      else if (statSync(target).isDirectory() && !['kustomization.yaml', 'kustomization.yml'].some((n) => existsSync(join(target, n)))) fail(kfile, `resource ${r} is a directory without a kustomization.yaml`);
    }
    for (const p of k.patches ?? []) {
      if (!p.path) continue;
      const target = resolve(dir, p.path);
      if (!existsSync(target)) fail(kfile, `patch ${p.path} does not exist`);
      else patchFiles.add(target);
    }
    for (const g of [...(k.secretGenerator ?? []), ...(k.configMapGenerator ?? [])]) {
      for (const f of [...(g.envs ?? []), ...(g.files ?? []).map((x) => x.split('=').pop())]) {
        if (!existsSync(resolve(dir, f))) fail(kfile, `generator ${g.name} reads ${f}, which does not exist`);
      }
    }
  }
}

const resources = [];
for (const [file, docs] of byFile) {
  if (kustomizations.includes(file)) continue;
  for (const doc of docs) {
    if (patchFiles.has(file)) check(file, doc, patchValidator, `patch ${doc?.kind ?? '?'} `);
    else {
      validateDoc(file, doc);
      resources.push({ file, doc });
    }
  }
}

// --- what ties the documents together ------------------------------------------------------
function semanticChecks(docs, where) {
  const deployments = new Map(docs.filter((d) => d.doc.kind === 'Deployment').map((d) => [d.doc.metadata?.name, d]));
  const config = docs.find((d) => d.doc.kind === 'ConfigMap' && d.doc.metadata?.name === 'airlock-config')?.doc.data ?? {};
  const prefix = config.QUEUE_PREFIX;
  for (const { file, doc } of docs) {
    if (doc.kind === 'Deployment') checkAppContainers(file, doc);
    if (doc.kind !== 'ScaledObject') continue;
    const name = `ScaledObject ${doc.metadata?.name}`;
    const targetName = doc.spec?.scaleTargetRef?.name;
    const target = deployments.get(targetName);
    if (!target) {
      fail(file, `${name} targets Deployment ${targetName}, which does not exist${where}`);
      continue;
    }
    const container = target.doc.spec?.template?.spec?.containers?.[0];
    const lanes = (envOf(container).WORKER_LANES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const t of doc.spec?.triggers ?? []) {
      if (t.type !== 'redis') continue;
      const match = /^([A-Za-z0-9_-]+):([a-z-]+):wait$/.exec(t.metadata?.listName ?? '');
      if (!match) fail(file, `${name}: listName ${t.metadata?.listName} is not a BullMQ wait list (<prefix>:<queue>:wait)`);
      else {
        if (prefix && match[1] !== prefix) fail(file, `${name}: listName prefix ${match[1]} differs from QUEUE_PREFIX ${prefix} in airlock-config${where}`);
        if (!LANES.includes(match[2])) fail(file, `${name}: ${match[2]} is not a lane (${LANES.join(', ')})`);
        else if (!lanes.includes(match[2])) fail(file, `${name}: scales ${targetName} on lane ${match[2]}, but it consumes WORKER_LANES=${lanes.join(',') || '(unset)'}`);
      }
    }
  }
}

function envOf(container) {
  return Object.fromEntries((container?.env ?? []).filter((e) => 'value' in e).map((e) => [e.name, e.value]));
}

/** Airlock's own containers (SERVICE set): probes on the real health paths and the port the service listens on. */
function checkAppContainers(file, doc) {
  for (const c of doc.spec?.template?.spec?.containers ?? []) {
    const env = envOf(c);
    if (!env.SERVICE) continue;
    const what = `Deployment ${doc.metadata?.name} container ${c.name}`;
    const httpPort = Number(env.HTTP_PORT);
    const port = (c.ports ?? []).find((p) => p.name === 'http');
    if (!port) fail(file, `${what}: no port named http`);
    else if (port.containerPort !== httpPort) fail(file, `${what}: containerPort ${port.containerPort} differs from HTTP_PORT ${env.HTTP_PORT}`);
    if (env.SERVICE === 'gpu-worker') checkWorkerTempRootK8s(file, doc, c, what);
    for (const [probe, path] of [['livenessProbe', LIVENESS], ['readinessProbe', READINESS]]) {
      const get = c[probe]?.httpGet;
      if (!get) fail(file, `${what}: ${probe} must be an httpGet on ${path}`);
      else {
        if (get.path !== path) fail(file, `${what}: ${probe} path ${get.path}, the service serves ${path}`);
        if (get.port !== 'http' && get.port !== httpPort) fail(file, `${what}: ${probe} port ${get.port} is not the http port ${httpPort}`);
      }
    }
  }
}

/**
 * Decrypted media sits in the worker's temp root while an attempt runs; a killed worker's is
 * wiped by its peers' sweeps, and the root itself must not outlive the pod: memory-backed, sized.
 */
function checkWorkerTempRootK8s(file, doc, c, what) {
  const tempRoot = envOf(c).WORKER_TMP_ROOT;
  if (!tempRoot) return fail(file, `${what}: WORKER_TMP_ROOT is not set (it must lie on a medium: Memory emptyDir)`);
  const volumes = new Map((doc.spec?.template?.spec?.volumes ?? []).map((v) => [v.name, v]));
  const mount = (c.volumeMounts ?? []).filter((m) => isWithin(tempRoot, m.mountPath)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const emptyDir = mount && volumes.get(mount.name)?.emptyDir;
  if (!mount) fail(file, `${what}: WORKER_TMP_ROOT ${tempRoot} is on no volume (the container's disk); mount a medium: Memory emptyDir there`);
  else if (emptyDir?.medium !== 'Memory') fail(file, `${what}: WORKER_TMP_ROOT ${tempRoot} is on volume ${mount.name}, which is not an emptyDir with medium: Memory`);
  else if (!emptyDir.sizeLimit) fail(file, `${what}: the memory emptyDir ${mount.name} under WORKER_TMP_ROOT has no sizeLimit`);
}

/** Whether `path` is `dir` or inside it. */
function isWithin(path, dir) {
  if (typeof path !== 'string' || typeof dir !== 'string') return false;
  const d = dir.replace(/\/+$/, '');
  return path === d || path.startsWith(`${d}/`) || d === '';
}

// Source files: deployments and ScaledObjects live side by side in the base.
semanticChecks(resources, '');

// --- built overlays (when kubectl is here): patches applied, then the same checks ------------
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
if (kubectl.status === 0) {
  for (const kfile of kustomizations) {
    const dir = dirname(kfile);
    const built = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    if (built.status !== 0) {
      fail(kfile, `kubectl kustomize failed: ${built.stderr.trim().split('\n').pop()?.slice(0, 400)}`);
      continue;
    }
    // The base's files were checked as they are; an overlay is checked as it builds.
    if (!relative(k8sDir, dir).startsWith('overlays')) continue;
    const label = `${relative(root, dir)} (built)`;
    const docs = parseDocs(label, built.stdout).map((doc) => ({ file: label, doc }));
    for (const { doc } of docs) validateDoc(label, doc);
    semanticChecks(docs, ' in the built overlay');
  }
} else {
  process.stdout.write('validate-deploy: kubectl not found, overlays not built (source files still checked)\n');
}

// --- docker compose ------------------------------------------------------------------------
const composeFile = join(root, 'docker-compose.yml');
try {
  const compose = parseYaml(readFileSync(composeFile, 'utf8'), { merge: true });
  const services = compose?.services ?? {};
  if (!Object.keys(services).length) fail(composeFile, 'no services');
  for (const [name, svc] of Object.entries(services)) {
    const app = svc?.image === 'airlock:local' || svc?.build !== undefined;
    if (!app) continue;
    if (svc.container_name) fail(composeFile, `${name}: container_name ${svc.container_name} stops it from scaling (docker compose up --scale ${name}=N)`);
    // Only the api publishes a port; a fixed host port on anything else blocks --scale.
    if (name !== 'api' && (svc.ports ?? []).some((p) => typeof p === 'object' ? p.published !== undefined : String(p).includes(':'))) {
      fail(composeFile, `${name}: a fixed host port blocks docker compose up --scale ${name}=N`);
    }
  }
  if (!services['gpu-worker']) fail(composeFile, 'no gpu-worker service to scale');
  else checkWorkerTempRootCompose(services['gpu-worker']);
} catch (e) {
  fail(composeFile, `YAML: ${e.message}`);
}
/** The compose worker's temp root on a tmpfs: a `tmpfs` mount, or /dev/shm (a per-container tmpfs) sized by shm_size. */
function checkWorkerTempRootCompose(svc) {
  const env = Array.isArray(svc.environment)
    ? Object.fromEntries(svc.environment.map((e) => String(e).split(/=(.*)/s).slice(0, 2)))
    : (svc.environment ?? {});
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const tempRoot = env.WORKER_TMP_ROOT ?? /^ENV\s+(?:.*\s)?WORKER_TMP_ROOT=(\S+)/m.exec(dockerfile)?.[1];
  if (!tempRoot) return fail(composeFile, 'gpu-worker: WORKER_TMP_ROOT is set neither here nor in the Dockerfile');
  const tmpfs = [
    ...[svc.tmpfs ?? []].flat().map((t) => String(t).split(':')[0]),
    ...(svc.volumes ?? []).filter((v) => typeof v === 'object' && v.type === 'tmpfs').map((v) => v.target),
    ...(svc.shm_size ? ['/dev/shm'] : []),
  ];
  if (!tmpfs.some((t) => isWithin(tempRoot, t))) {
    fail(composeFile, `gpu-worker: WORKER_TMP_ROOT ${tempRoot} is on no tmpfs (the container's disk); mount a tmpfs there${isWithin(tempRoot, '/dev/shm') ? ' or size /dev/shm with shm_size (the 64 MB default is too small)' : ''}`);
  }
}

// --- secrets: nothing in the repository holds one, and every service gets its own ------------
// Production refuses development values at boot (libs/config production-secrets.ts); these
// checks keep them, and any password written into a file, out of compose and deploy/k8s.
const devSecrets = JSON.parse(readFileSync(join(root, 'libs/config/src/lib/development-secrets.json'), 'utf8'));
/** Variables whose value is a secret (or a published default login): they come from .env or a Secret. */
const SECRET_NAME = /(PASSWORD|SECRET|_KEY|_KEYS|_JWK|_JWKS|TOKEN|ROOT_USER|ADMIN_USER|SUPPORT_USER)$/;
/** Development values distinctive enough to refuse anywhere in a deployment file. */
const DISTINCT_DEV_VALUES = devSecrets.values.filter((v) => v.length > 8 || /[^a-z]/.test(v));
const OPTIONAL_SECRETS = new Set(['SUPPORT_PASSWORD', 'VERIFIER_PUBLIC_JWKS', 'VERIFIER_SIGNING_JWK']);
const SCHEMA_SERVICE = { api: 'api', orchestrator: 'orchestrator', worker: 'gpu-worker', verifier: 'verifier', manifester: 'manifester' };

/** Per service, the secrets its production rule requires (read from service.config.ts's refuseDevelopmentSecrets lists). */
const requiredSecrets = (() => {
  const source = readFileSync(join(root, 'libs/config/src/lib/service.config.ts'), 'utf8');
  const out = {};
  for (const [, schema, body] of source.matchAll(/export const (\w+)EnvSchema = ([\s\S]*?)(?=\nexport const |$)/g)) {
    const list = /refuseDevelopmentSecrets\(\[([^\]]*)\]\)/.exec(body)?.[1];
    if (SCHEMA_SERVICE[schema] && list) out[SCHEMA_SERVICE[schema]] = [...list.matchAll(/'(\w+)'/g)].map((m) => m[1]).filter((n) => !OPTIONAL_SECRETS.has(n));
  }
  for (const service of Object.values(SCHEMA_SERVICE)) if (!out[service]) fail('libs/config/src/lib/service.config.ts', `no refuseDevelopmentSecrets([...]) list found for ${service}`);
  return out;
})();

function isDevValue(value) {
  const v = String(value).trim();
  return devSecrets.values.includes(v) || devSecrets.adminUsers.includes(v) || v.split(',').some((e) => devSecrets.values.includes(e.slice(e.indexOf(':') + 1).trim()));
}

/** A password written into a URL (`scheme://user:password@host`) that is not a ${VAR} reference. */
function urlPasswordLiteral(value) {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@\s]*)@/i.exec(String(value));
  return m && !/^\$\{[A-Za-z_]\w*(:?[?-][^}]*)?\}$/.test(m[1]) ? m[1] : undefined;
}

function scanDevValues(file, text) {
  for (const v of DISTINCT_DEV_VALUES) if (new RegExp(`(^|[^A-Za-z0-9-])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9-])`, 'm').test(text)) fail(file, `holds the development value ${v}: production refuses it`);
}

/** One environment entry (compose): a secret comes only from .env (`${VAR:?...}`), never a literal. */
function checkComposeEnv(where, name, value) {
  if (value === null || value === undefined) return;
  const v = String(value);
  if (SECRET_NAME.test(name) && isDevValue(v)) fail(composeFile, `${where}: ${name} is a development default (${v})`);
  else if (SECRET_NAME.test(name) && !/^\$\{[A-Za-z_]\w*:\?[^}]*\}$/.test(v)) fail(composeFile, `${where}: ${name} is a plain literal; take it from .env as \${${name}:?...}`);
  const pw = urlPasswordLiteral(v);
  if (pw !== undefined) fail(composeFile, `${where}: ${name} writes a password into the URL; interpolate it from .env`);
}

try {
  const text = readFileSync(composeFile, 'utf8');
  scanDevValues(composeFile, text);
  const compose = parseYaml(text, { merge: true });
  for (const [name, svc] of Object.entries(compose?.services ?? {})) {
    const env = Array.isArray(svc?.environment) ? Object.fromEntries(svc.environment.map((e) => String(e).split(/=(.*)/s).slice(0, 2))) : (svc?.environment ?? {});
    for (const [k, v] of Object.entries(env)) checkComposeEnv(name, k, v);
    const service = env.SERVICE;
    for (const needed of requiredSecrets[service] ?? []) if (!(needed in env)) fail(composeFile, `${name}: ${needed} is not set (from .env); production refuses to boot without it`);
  }
} catch (e) {
  fail(composeFile, `secrets: ${e.message}`);
}

/** Every container of a pod spec (k8s): secrets by secretKeyRef only; app containers get what their service requires. */
function checkK8sSecrets(file, doc) {
  const spec = doc?.spec?.template?.spec ?? doc?.spec?.jobTemplate?.spec?.template?.spec;
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    const what = `${doc.kind} ${doc.metadata?.name} container ${c.name}`;
    for (const e of c.env ?? []) {
      if ('value' in e && SECRET_NAME.test(e.name) && isDevValue(e.value)) fail(file, `${what}: ${e.name} is a development default (${e.value})`);
      else if ('value' in e && (SECRET_NAME.test(e.name) || e.name === 'DATABASE_URL')) fail(file, `${what}: ${e.name} is a plain literal; reference a Secret (valueFrom.secretKeyRef)`);
      else if ('value' in e && urlPasswordLiteral(e.value) !== undefined) fail(file, `${what}: ${e.name} writes a password into the URL; reference a Secret`);
    }
    const service = envOf(c).SERVICE;
    const names = new Set((c.env ?? []).map((e) => e.name));
    for (const needed of requiredSecrets[service] ?? []) if (!names.has(needed)) fail(file, `${what}: ${needed} is not set (from a Secret); production refuses to boot without it`);
  }
}

for (const [file, docs] of byFile) {
  scanDevValues(file, readFileSync(file, 'utf8'));
  for (const doc of docs) {
    if (doc?.kind === 'Secret' && (doc.data || doc.stringData)) fail(file, `Secret ${doc.metadata?.name}: secret values written in the repository; create it from \`npx airlock keys\` instead`);
    if (doc?.kind === 'ConfigMap') for (const [k, v] of Object.entries(doc.data ?? {})) {
      if (SECRET_NAME.test(k) || urlPasswordLiteral(v) !== undefined) fail(file, `ConfigMap ${doc.metadata?.name}: ${k} is a secret in a ConfigMap; reference a Secret`);
    }
    if (doc?.kind === 'Kustomization') for (const g of doc.secretGenerator ?? []) if (g.literals?.length) fail(file, `secretGenerator ${g.name}: literal secret values in the repository; create the Secret from \`npx airlock keys\` instead`);
    if (['Deployment', 'Job'].includes(doc?.kind)) checkK8sSecrets(file, doc);
  }
}

// --- Dockerfile: the runtime image is a slim production stage ------------------------------
const dockerfile = join(root, 'Dockerfile');
{
  const stages = [];
  for (const raw of readFileSync(dockerfile, 'utf8').replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ base: from[1], name: from[2]?.toLowerCase(), lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  const runtime = stages.at(-1);
  const names = new Set(stages.map((s) => s.name).filter(Boolean));
  if (!runtime) fail(dockerfile, 'no stage');
  else {
    // The last stage is what `docker build` and compose's `build: .` produce: the services' image.
    if (runtime.name !== 'runtime') fail(dockerfile, `the last stage (the default target) must be named runtime, not ${runtime.name ?? '(unnamed)'}`);
    if (names.has(runtime.base.toLowerCase())) fail(dockerfile, `runtime stage is FROM ${runtime.base}: it must start from a clean base image, not another stage (dev dependencies and the source would ship)`);
    const user = runtime.lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]).at(-1);
    if (!user) fail(dockerfile, 'runtime stage has no USER: the services would run as root');
    else if (/^(root|0)(:|$)/.test(user)) fail(dockerfile, `runtime stage runs as ${user}`);
    for (const l of runtime.lines) {
      if (/^(COPY|ADD)\s/i.test(l) && !/--from=/i.test(l) && /\s\.\/?\s/.test(`${l.replace(/^(COPY|ADD)\s+(--\S+\s+)*/i, ' ')} `.replace(/\s\S+\s*$/, ' '))) fail(dockerfile, `runtime stage copies the whole build context (${l}): copy only what the services need`);
      const fromStage = /--from=(\S+)/i.exec(l)?.[1];
      if (fromStage && /^COPY\s/i.test(l)) for (const src of l.replace(/^COPY\s+(--\S+\s+)*/i, '').split(/\s+/).slice(0, -1)) if (!/(^|\/)dist(\/|$)/.test(src)) fail(dockerfile, `runtime stage copies ${src} from ${fromStage}: only built output (dist/) belongs in the image`);
    }
    if (!runtime.lines.some((l) => /^ENV\s.*\bNODE_ENV=production\b/i.test(l))) fail(dockerfile, 'runtime stage does not set NODE_ENV=production');
    if (!runtime.lines.some((l) => /^RUN\s.*\bnpm\s+(install|ci)\b.*--omit=dev/i.test(l))) fail(dockerfile, 'runtime stage installs no production-only dependencies (npm install --omit=dev)');
  }
  // Targets named by compose and the k8s migrate init container must exist.
  try {
    for (const [name, svc] of Object.entries(parseYaml(readFileSync(composeFile, 'utf8'), { merge: true })?.services ?? {})) {
      const target = typeof svc?.build === 'object' ? svc.build.target : undefined;
      if (target && !names.has(target)) fail(composeFile, `${name}: build target ${target} is not a Dockerfile stage (${[...names].join(', ')})`);
    }
  } catch {
    // reported by the compose checks above
  }
}

const compose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
if (compose.status === 0) {
  // The keys come from .env in real use; placeholders are enough for the file to resolve.
  const placeholders = ['POSTGRES_PASSWORD', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'TENANT_KEYS', 'ADMIN_USER', 'ADMIN_PASSWORD'].map((k) => [k, 'placeholder']);
  const env = { ...process.env, PIPELINE_PRIVATE_JWK: '{}', WORKER_PUBLIC_JWKS: '[]', WORKER_SIGNING_JWK: '{}', ...Object.fromEntries(placeholders) };
  try {
    execFileSync('docker', ['compose', '-f', composeFile, 'config', '-q'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    fail(composeFile, `docker compose config: ${e.stderr?.toString().trim() ?? e.message}`);
  }
} else {
  process.stdout.write('validate-deploy: docker compose not found, compose file parsed only\n');
}

if (problems.length) {
  process.stderr.write(`validate-deploy: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`validate-deploy: ${files.length} files under deploy/k8s and docker-compose.yml are valid\n`);
