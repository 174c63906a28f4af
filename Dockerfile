# syntax=docker/dockerfile:1
# bms-bridge in a container (docs/docker.md). Two stages: "build" packs the package exactly as
# `npm pack` does for a release (prepack compiles); the runtime stage installs only that tarball
# globally, with the README's install command, so the image holds the commands and their runtime
# dependencies and no source, compiler or dev dependency.
# Multi-arch: linux/amd64, linux/arm64 and linux/arm/v7. Node.js 22 is the newest line with official
# arm/v7 builds (Node.js 24 moved 32-bit ARM to experimental), and the native Bluetooth and serial
# modules ship prebuilt binaries for all three, so no stage needs a compiler.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.vble.json README.md CHANGELOG.md LICENSE ./
COPY src ./src
COPY scripts/vble ./scripts/vble
COPY fixtures/scenarios ./fixtures/scenarios
COPY web/console ./web/console
RUN npm pack --pack-destination /pkg

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
COPY --from=build /pkg/ /pkg/
RUN npm install -g /pkg/bms-bridge-*.tgz --allow-scripts=@stoprocent/noble,@stoprocent/bleno,@stoprocent/bluetooth-hci-socket,@serialport/bindings-cpp,usb --no-audit --no-fund \
 && rm -rf /pkg /root/.npm
ENV NODE_ENV=production
# Non-root for TCP, serial (add the device and the dialout group) and the demo. BLE through the host's
# adapter needs root in the container: docs/docker.md says why and what else it needs.
USER node
WORKDIR /home/node
ENTRYPOINT ["bms-bridge"]
CMD ["run"]
