// Imported first by the entry points: on an unsupported Node.js the dependencies fail with
// cryptic errors at import time (undici 8 needs zlib's zstd), so say plainly what is needed.
// The floor is the highest `engines.node` of the runtime dependencies in package-lock.json
// (undici 8: >=22.19.0), the same as package.json's `engines` (test/deploy/node-floor.test.ts).
export const NODE_FLOOR = { major: 22, minor: 19 };

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < NODE_FLOOR.major || (major === NODE_FLOOR.major && minor < NODE_FLOOR.minor)) {
  console.error(
    `embedding-relay needs Node.js >= ${NODE_FLOOR.major}.${NODE_FLOOR.minor} (this is ${process.version}). ` +
      'In a clone, `npm ci` installs Node 24 for the npm scripts (`npm start`, `npm test`); installed as a package, use Node 24 LTS.',
  );
  process.exit(1);
}
