import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePort } from './port.ts';

describe('freePort', () => {
  it('hands out ports below the ephemeral range that outgoing connections draw from, none twice', async () => {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = [];
    for (let i = 0; i < 300; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const p of ports) expect(p).toBeLessThan(low!);
  });
});
