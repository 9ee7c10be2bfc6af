# Three stages (scripts/validate-deploy.mjs checks their shape):
#   build    every app compiled: dev dependencies and the whole source; never run as a service.
#   migrate  the build stage running `prisma migrate deploy` (the Prisma CLI and prisma.config.ts
#            are build tools): docker compose's `migrate` service, the k8s api's init container.
#   runtime  the default (last) target, one image for every service (SERVICE picks which):
#            Node 20 slim, FFmpeg 5.1 from Debian, production dependencies only (shaka-packager's
#            binary ships inside its npm package; the Prisma client is compiled into each bundle),
#            the built dist/apps and nothing else, run as the unprivileged `node` user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY tools/airlock-cli tools/airlock-cli
COPY prisma prisma
COPY prisma.config.ts ./
RUN npm install --no-audit --no-fund || npm install --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false npx nx run-many -t build --parallel=2 --projects=api,orchestrator,gpu-worker,verifier,manifester

FROM build AS migrate
ENV NODE_ENV=production
USER node
CMD ["npx", "prisma", "migrate", "deploy"]

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HTTP_HOST=0.0.0.0
COPY package.json package-lock.json ./
# Production dependencies only. devDependencies leave the manifest first: npm keeps a dev package
# that is also an optional peer (the Prisma CLI, TypeScript). Install scripts are skipped
# (postinstall's `prisma generate` is a build step; shaka-packager needs none).
RUN npm pkg delete devDependencies scripts.postinstall \
  && (npm install --omit=dev --ignore-scripts --no-audit --no-fund || npm install --omit=dev --ignore-scripts --no-audit --no-fund) \
  && npm cache clean --force
COPY --from=build /app/dist/apps dist/apps
# The workers' temp root, in memory that dies with the container: /dev/shm is a tmpfs (compose
# sizes it with shm_size, Kubernetes mounts a medium: Memory emptyDir there). Each worker process
# keeps its own 0700 directory under it; scripts/validate-deploy.mjs checks the mounts.
ENV WORKER_TMP_ROOT=/dev/shm/airlock-worker
# Code and dependencies stay root-owned and read-only to the service.
USER node
ARG SERVICE=api
ENV SERVICE=${SERVICE}
CMD ["sh", "-c", "exec node dist/apps/${SERVICE}/main.js"]
