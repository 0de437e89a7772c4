#!/usr/bin/env -S node --max-semi-space-size=16
// Installed entry point: telemetry bootstrap first, then the app (same as `node --import`).
await import('../dist/instrument.js');
await import('../dist/main.js');
