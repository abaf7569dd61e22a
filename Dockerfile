# The vault server. Built by docker-compose.yml; runs as an unprivileged user.
# The first stage compiles the server into one JavaScript bundle (scripts/build-server.mjs);
# the image runs that bundle, not the TypeScript sources through tsx (about 65 MiB less
# resident memory, docs/PERFORMANCE.md "Files").
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY server/package.json server/
COPY protocol/package.json protocol/
COPY client-lib/package.json client-lib/
COPY web/package.json web/
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY server server
COPY protocol protocol
COPY client-lib client-lib
COPY web web
COPY migrations migrations
COPY scripts/build.mjs scripts/build-server.mjs scripts/migrate.ts scripts/
# The server bundle, and the web client it serves at / (web/dist, which bundles the
# compiled client library).
RUN node scripts/build.mjs protocol client-lib server web

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY server/package.json server/
COPY protocol/package.json protocol/
RUN npm ci --omit=dev && npm cache clean --force
# Only the compiled server (the protocol package is bundled into it), the web client's
# static build, and the migration command beside the server: `docker compose exec server node dist/server/migrate.js`.
COPY --from=build /app/dist/server dist/server
COPY --from=build /app/web/dist web/dist
# VAULT_DATA_DIR, where the audit log key (audit-log.key) is created at first start: owned
# by the user the server runs as, and readable by it alone. docker-compose.yml mounts a named
# volume here (a new, empty named volume takes this folder's owner and mode), so the key
# outlives the container; without it, every new container would sign with a new key and
# every client would report the log as replaced.
RUN mkdir -m 0700 /app/data && chown node:node /app/data
USER node
# MALLOC_MMAP_THRESHOLD_ and --max-semi-space-size=1: the memory settings of scripts/start.sh
# (`npm start`), explained there.
ENV HOST=0.0.0.0 PORT=8080 VAULT_DATA_DIR=/app/data MALLOC_MMAP_THRESHOLD_=131072
EXPOSE 8080
# The health check asks /ready over HTTPS when the server has its own certificate
# (TLS_CERT_FILE), else over HTTP. It does not check the certificate: it is made out to the
# vault's public name, and this is a question from inside the container to itself. It gives
# up after 2 s of silence, before Docker's --timeout would kill it.
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "setTimeout(()=>process.exit(1),2000);const s=process.env.TLS_CERT_FILE?require('node:https'):require('node:http');s.get({host:'127.0.0.1',port:process.env.PORT,path:'/ready',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=1", "dist/server/server.js"]
