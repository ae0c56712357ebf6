# Kefu API image. The embedding model is fetched at build time (Hub, or the Maven Central package).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends maven ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm install --omit=dev --no-audit --no-fund && npm install --no-save tsx
COPY . .
RUN npx tsx ingest/fetch-models.ts
ENV NODE_ENV=production PORT=3000
EXPOSE 3000
CMD ["npx", "tsx", "src/main.ts"]
