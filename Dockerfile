# syntax=docker/dockerfile:1
# Build stage: install everything and compile TypeScript to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes.schema.json ./
RUN npm ci

# Runtime stage: production dependencies and the compiled output only, run as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY routes.schema.json routes.json ./
COPY viewer* ./viewer/
RUN mkdir -p /etc/hoptrace && cp routes.json /etc/hoptrace/routes.json
USER node
EXPOSE 8080 9901
# The config lives at /etc/hoptrace/routes.json: mount yours there. Signals go straight to node (no npm).
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:9901/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/hoptrace.js"]
CMD ["--config", "/etc/hoptrace/routes.json"]
