// Reading GPUs through `nvidia-smi`: one CSV query per poll, parsed into plain readings.
//
// Why nvidia-smi and not NVML bindings: it ships with every NVIDIA driver, needs no native Node
// addon, and one process every N seconds is negligible next to a model server. Its CSV query
// interface (`--query-gpu=... --format=csv,noheader,nounits`) prints one line per GPU, fields in
// the order asked, separated by ", "; a field the GPU or driver cannot report is written as
// `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `[Insufficient Permissions]` or `[GPU is lost]`
// (bracketed text), so every numeric field is optional here. Fleets should prefer NVIDIA's DCGM
// exporter (see README); this covers a relay running beside one model server.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The query fields, in the order they are asked for and printed. */
export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.used',
  'memory.total',
  'utilization.gpu',
  'temperature.gpu',
  'power.draw',
] as const;

export const GPU_QUERY_ARGS = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

export interface GpuReading {
  index: number;
  /** GPU-xxxxxxxx-...; stable across reboots and reorderings (hw.id). */
  uuid: string;
  /** Product name, e.g. "NVIDIA H100 80GB HBM3" (hw.model). */
  name: string;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
  /** 0..1 */
  utilization?: number;
  temperatureCelsius?: number;
  powerWatts?: number;
}

const MIB = 1024 * 1024;

/** A number, or undefined for nvidia-smi's bracketed "no value" markers (and anything non-numeric). */
function numeric(field: string | undefined): number | undefined {
  if (field === undefined) return undefined;
  const text = field.trim();
  if (text === '' || !/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Parses `nvidia-smi --query-gpu=<GPU_QUERY_FIELDS> --format=csv,noheader,nounits` output.
 * Lines that do not carry at least an index and a uuid are skipped (nvidia-smi prints warnings
 * such as "WARNING: infoROM is corrupted at gpu 0000:01:00.0" on the same stream). A product name
 * containing commas is rejoined: the fields after it are all numeric.
 */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const readings: GpuReading[] = [];
  const tail = GPU_QUERY_FIELDS.length - 3; // numeric fields after the name
  for (const line of text.split(/\r?\n/)) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < GPU_QUERY_FIELDS.length) continue;
    const index = numeric(fields[0]);
    const uuid = fields[1]!;
    if (index === undefined || !Number.isInteger(index) || uuid === '' || uuid.startsWith('[')) continue;
    const name = fields.slice(2, fields.length - tail).join(', ');
    const [used, total, util, temp, power] = fields.slice(fields.length - tail).map(numeric);
    const reading: GpuReading = { index, uuid, name };
    if (used !== undefined) reading.memoryUsedBytes = used * MIB;
    if (total !== undefined) reading.memoryTotalBytes = total * MIB;
    if (util !== undefined) reading.utilization = util / 100;
    if (temp !== undefined) reading.temperatureCelsius = temp;
    if (power !== undefined) reading.powerWatts = power;
    readings.push(reading);
  }
  return readings;
}

/** The relay's secrets (RELAY_API_KEYS, RELAY_UPSTREAM_API_KEY, ...) are not handed to the GPU
 *  command, which may be a wrapper script: only PATH, the locale and NVIDIA/CUDA variables. */
export function gpuCommandEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (/^(PATH|HOME|LANG|LC_\w+|LD_LIBRARY_PATH|NVIDIA_\w+|CUDA_\w+)$/.test(k)) out[k] = v;
  return out;
}

/** Runs the query once. Rejects on a non-zero exit, a timeout (the process is killed) or too much output. */
export function queryNvidiaSmi(command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      GPU_QUERY_ARGS,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, windowsHide: true, encoding: 'utf8', env: gpuCommandEnv() },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        const said = `${stdout}${stderr}`.trim().split('\n', 1)[0];
        const why =
          e.code === 'ENOENT'
            ? 'command not found'
            : e.killed
              ? `no answer within ${timeoutMs} ms (killed)`
              : e.code !== undefined
                ? `exit code ${e.code}${said ? `: ${said}` : ''}`
                : e.message;
        reject(new Error(`${command}: ${why}`, { cause: err }));
      },
    );
  });
}

/** Whether `command` names an executable file (a path, or a name found on PATH). */
export function commandExists(command: string, pathEnv = process.env['PATH'] ?? ''): boolean {
  const candidates =
    isAbsolute(command) || command.includes('/')
      ? [command]
      : pathEnv
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, command));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      // next candidate
    }
  }
  return false;
}
