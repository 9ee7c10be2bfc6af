# One image for every service; SERVICE picks which one runs. FFmpeg from Debian (5.1).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tools/airlock-cli tools/airlock-cli
COPY prisma prisma
COPY prisma.config.ts ./
RUN npm install --no-audit --no-fund || npm install --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false npx nx run-many -t build --parallel=2

FROM build AS runtime
ENV NODE_ENV=production HTTP_HOST=0.0.0.0
# The workers' temp root, in memory that dies with the container: /dev/shm is a tmpfs (compose
# sizes it with shm_size, Kubernetes mounts a medium: Memory emptyDir there). Each worker process
# keeps its own 0700 directory under it; scripts/validate-deploy.mjs checks the mounts.
ENV WORKER_TMP_ROOT=/dev/shm/airlock-worker
ARG SERVICE=api
ENV SERVICE=${SERVICE}
CMD ["sh", "-c", "exec node dist/apps/${SERVICE}/main.js"]
