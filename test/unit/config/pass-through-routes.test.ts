import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { ADMIN_ROUTES, DEFAULT_PASS_THROUGH_ROUTES, passThroughRoutes } from '../../../src/config/pass-through-routes.ts';

describe('config/pass-through-routes.ts', () => {
  it('default is the list; none closes it; default,PATH widens it; paths alone pick', () => {
    expect(passThroughRoutes('default')).toEqual(DEFAULT_PASS_THROUGH_ROUTES);
    expect(passThroughRoutes('none')).toEqual([]);
    expect(passThroughRoutes('default,/v1/foo')).toEqual([...DEFAULT_PASS_THROUGH_ROUTES, '/v1/foo']);
    expect(passThroughRoutes(' /tokenize , /info ')).toEqual(['/tokenize', '/info']);
  });

  it('no admin route is on the default list, and naming one fails with the route in the message', () => {
    expect(DEFAULT_PASS_THROUGH_ROUTES.filter((r) => ADMIN_ROUTES.includes(r))).toEqual([]);
    expect(() => passThroughRoutes('default,/reset_prefix_cache')).toThrow(
      '/reset_prefix_cache is an admin route of the model server and is never relayed',
    );
    expect(() => passThroughRoutes('tokenize')).toThrow('expected default, none or paths starting with / (got "tokenize")');
  });

  it('the relay refuses the setting at start-up with one exact line', () => {
    expect(() => loadConfig([], { RELAY_PASSTHROUGH_ROUTES: '/sleep' })).toThrow(
      'Invalid RELAY_PASSTHROUGH_ROUTES="/sleep": /sleep is an admin route of the model server and is never relayed.',
    );
    expect(loadConfig(['--passthrough-routes=none'], {}).config.passThroughRoutes).toEqual([]);
  });
});
