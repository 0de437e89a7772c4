# embedding-relay: Node 24 LTS, slim, non-root. Build: docker build -t embedding-relay .
# NODE_IMAGE: the official image by default; npm run test:docker builds FROM a local stand-in (no registry there).
ARG NODE_IMAGE=node:24-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The dependencies first, in their own layer: rebuilt only when the lockfile changes, not for every
# change in src/. No install scripts: the one that matters is the `node` devDependency's download of a
# second Node 24 (this image already is Node 24); dist/ is built below instead of by `prepare`.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Pruning drops the dev dependencies (TypeScript, the linters, the `node` package).
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
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
ENTRYPOINT ["node", "--max-semi-space-size=16", "--import", "./dist/instrument.js", "dist/main.js"]
