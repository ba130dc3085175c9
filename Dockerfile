# syntax=docker/dockerfile:1
# One image for every Palisade app; docker-compose.yml picks the app with its command
# (`collector`, `ingester`, `detector`, `alert-router`, `dashboard`, `migrate`).

# Only the npm manifests, so the dependency layer below is rebuilt when they change, not on every
# source edit (this stage's own cache breaks on any change; its output does not).
FROM node:20-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && cp --parents package.json package-lock.json .npmrc /manifests/ \
 && find apps packages -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents {} /manifests/ \;

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
# A larger young generation: ingest allocates short-lived events fast, and the default semi-space
# makes the collector spend a sixth of its time in scavenges (see README, Performance).
ENV NODE_OPTIONS=--max-semi-space-size=32
COPY --from=manifests /manifests/ ./
# `npm install`, not `npm ci`: the lock holds only the optional platform packages (chDB, esbuild...)
# of the platform it was made on, and `npm ci` refuses it elsewhere (linux/arm64, say). With a lock
# present, `npm install` installs what it pins. Dev tools (vitest, biome, typescript) are left out;
# tsx stays, as the launcher compiles the TypeScript sources with it on load.
RUN npm install --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY . .
USER node
ENTRYPOINT ["node", "apps/palisade/bin/palisade.mjs"]
CMD ["--help"]
