# embedding-relay: Node 24 LTS, slim, non-root. Build: docker build -t embedding-relay .
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
COPY src ./src
# npm ci builds dist/ (the `prepare` script); pruning drops the dev dependencies, among them the
# `node` package that pins Node 24 for npm scripts (this image already is Node 24).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
# /data: the canary baseline (mount a volume here so it survives restarts).
RUN mkdir -p /data && chown node:node /data
USER node
# 8080: the relay; 9464: Prometheus /metrics.
EXPOSE 8080 9464
HEALTHCHECK --interval=10s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.RELAY_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Telemetry bootstrap first (--import), then the app. Configure with RELAY_* and OTEL_* variables.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--import", "./dist/instrument.js", "dist/main.js"]
