# syntax=docker/dockerfile:1
# hoptrace in a container:  docker build -t hoptrace .
# The config is read from /etc/hoptrace/routes.json: mount yours there. The default one baked in
# (examples/docker/routes.json) listens on 0.0.0.0:8080 and forwards to 127.0.0.1:3000, an app in the same
# network namespace (a Kubernetes sidecar, or `docker run --network container:<app>`).

# Build stage: install everything and compile TypeScript to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes.schema.json ./
RUN npm ci

# Runtime stage: production dependencies and the compiled output only, run as the unprivileged user node.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY routes.schema.json ./
COPY viewer ./viewer
COPY examples/docker/routes.json /etc/hoptrace/routes.json
USER node
# 8080: the proxy. 9901: the admin port (health, metrics, viewer); it binds 127.0.0.1 unless the config says
# otherwise, which the health check below still reaches since it runs inside the container.
EXPOSE 8080 9901
# Keep the admin port on 9901 in your config, or change the port here too.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9901/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs the CLI directly (not npm, which does not pass every signal on): SIGTERM drains and flushes,
# SIGHUP reloads the config.
ENTRYPOINT ["node", "bin/hoptrace.js"]
CMD ["--config", "/etc/hoptrace/routes.json"]
