#!/usr/bin/env node
// Installed entry point: telemetry bootstrap first, then the app (same as `node --import`).
await import('../dist/instrument.js');
await import('../dist/main.js');
