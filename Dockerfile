# The vault server. Built by docker-compose.yml; runs as an unprivileged user.
# The first stage compiles the server into one JavaScript bundle (scripts/build-server.mjs);
# the image runs that bundle, not the TypeScript sources through tsx (about 65 MiB less
# resident memory, docs/PERFORMANCE.md "Files").
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY server/package.json server/
COPY protocol/package.json protocol/
RUN npm ci
COPY server server
COPY protocol protocol
COPY migrations migrations
COPY scripts/build-server.mjs scripts/migrate.ts scripts/
RUN node scripts/build-server.mjs

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY server/package.json server/
COPY protocol/package.json protocol/
RUN npm ci --omit=dev && npm cache clean --force
# Only the compiled server (the protocol package is bundled into it) and the migration
# command beside it: `docker compose exec server node dist/server/migrate.js`.
COPY --from=build /app/dist/server dist/server
USER node
# MALLOC_MMAP_THRESHOLD_ and --max-semi-space-size=1: the memory settings of scripts/start.sh
# (`npm start`), explained there.
ENV HOST=0.0.0.0 PORT=8080 VAULT_DATA_DIR=/app/data MALLOC_MMAP_THRESHOLD_=131072
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=1", "dist/server/server.js"]
