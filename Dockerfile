# The vault server. Built by docker-compose.yml; runs as an unprivileged user.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY server/package.json server/
COPY client-lib/package.json client-lib/
RUN npm ci --omit=dev && npm cache clean --force
COPY server server
COPY client-lib client-lib
COPY migrations migrations
USER node
ENV HOST=0.0.0.0 PORT=8080 VAULT_DATA_DIR=/app/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "server/src/server.ts"]
