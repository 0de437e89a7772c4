// Imported first by the entry points: on an unsupported Node.js the dependencies fail with
// cryptic errors at import time (undici 8 needs zlib's zstd), so say plainly what is needed.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 15)) {
  console.error(`embedding-relay needs Node.js >= 22.15 (Node 24 LTS recommended); this is ${process.version}.`);
  process.exit(1);
}
export {};
