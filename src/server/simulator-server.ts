// The built-in SIMULATOR on its own port (`embedding-relay simulator`, or the relay's default upstream).
import { createServer } from 'node:http';
import { createSimulatorHandler, type SimulatorOptions } from '../simulator/simulator.ts';
import { listen, type RunningServer } from './listen.ts';

export function startSimulator(opts: SimulatorOptions, host = '127.0.0.1', port = 0, setting?: string): Promise<RunningServer> {
  return listen(createServer(createSimulatorHandler(opts)), host, port, setting);
}
