// server/listen.ts: a listener that cannot bind says why in one line naming the setting; one that
// binds reports the address and port it got.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ListenError, listen } from '../../../src/server/listen.ts';

describe('server/listen.ts', () => {
  it('binds port 0 and reports the port it got, with a URL that works from this machine', async () => {
    const running = await listen(
      createServer((_req, res) => res.end('ok')),
      '127.0.0.1',
      0,
      'RELAY_PORT/--port',
    );
    try {
      expect(running.port).toBeGreaterThan(0);
      expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
      expect(await (await fetch(running.url)).text()).toBe('ok');
    } finally {
      await running.close();
    }
  });

  it('a busy port is one line naming the address and the setting, not a stack trace', async () => {
    const first = await listen(createServer(), '127.0.0.1', 0);
    try {
      const err = await listen(createServer(), '127.0.0.1', first.port, 'RELAY_HOST/--host, RELAY_PORT/--port').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ListenError);
      expect((err as ListenError).code).toBe('EADDRINUSE');
      expect((err as ListenError).message).toBe(
        `Cannot listen on 127.0.0.1:${first.port} (RELAY_HOST/--host, RELAY_PORT/--port): the address is already in use (another process listens there; stop it or choose another port).`,
      );
      expect((err as ListenError).message).not.toContain('\n');
    } finally {
      await first.close();
    }
  });
});
