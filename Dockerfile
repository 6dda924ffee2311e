# The Prescale image: one image for every role; the command picks it (api, worker --queue …,
# migrate). TypeScript runs directly through tsx, so there is no build step.

# Pinned to the exact patch so a rebuild gives the same runtime. bookworm, not alpine: the native
# modules Temporal's worker loads (core-bridge, @swc/core) ship glibc builds.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# package.json's "allowScripts" (which install scripts may run) is honoured by npm >= 11; the npm 10
# bundled with Node 20 ignores it and would run every package's scripts. Same npm as the lockfile.
RUN npm install --global npm@11.19.1
COPY package.json package-lock.json ./
# Dev dependencies (typescript, eslint, test helpers) are not needed to run: tsx is a runtime
# dependency and Temporal bundles workflow code with its own swc.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# package.json makes the sources ESM ("type": "module"); tsx honours tsconfig.json's compiler
# options (verbatimModuleSyntax decides which imports survive), so both ship with the code.
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY deploy/profiles ./deploy/profiles
# Code stays root-owned and read-only to the process; only the default data directory
# (PRESCALE_DATA_DIR=.prescale, relative to /app) is writable.
RUN mkdir .prescale && chown node:node .prescale
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/prescale.js"]
CMD ["api"]
