// Admission: what requests in flight may hold, in bytes, and what happens at the bound. Each
// request is charged for its body before the body is read (from Content-Length; a body sent
// without one is charged chunk by chunk as it arrives) and released when its answer is over. A
// request that does not fit waits in a queue bounded in count and in time, or is refused with 503
// `overloaded` and Retry-After, before any of its body is read.
//
// Fair to small requests: a request is large when its charge is above 1/LARGE_SHARE of the budget,
// and large ones together never hold more than the budget less a reserve that only small ones may
// use, so a flood of batches cannot take the room that single-input queries need. Within each
// size the queue is first come, first served, and a waiting large request never holds up a small
// one that fits.
import { RelayError, type ShedReason } from '../core/errors.ts';

/** What one request is charged. A body is held once as read (a Buffer) and once as its parsed
 *  inputs (strings in V8's heap), and the parse needs the text once more while it runs; the
 *  per-request part covers the socket, the record, the span and the log line. */
export const FOOTPRINT = { perRequestBytes: 64 * 1024, perBodyByte: 3 };
/** Large: a charge above budget / LARGE_SHARE. Room only small requests may use: budget / RESERVE_SHARE. */
export const LARGE_SHARE = 64;
export const RESERVE_SHARE = 4;

export interface AdmissionOptions {
  budgetBytes: number;
  queueMax: number;
  queueTimeoutMs: number;
  retryAfterS: number;
}

/** What one admitted request holds; `release` it once. */
export interface Ticket {
  bytes: number;
  large: boolean;
  /** Seconds it waited in the queue (0 when admitted at once). */
  waitedS: number;
  released: boolean;
}

/** 503 overloaded: why, and how long the request waited first. */
export class OverloadedError extends RelayError {
  readonly reason: ShedReason;
  readonly waitedS: number;
  readonly #retryAfterS: number;

  constructor(reason: ShedReason, waitedS: number, retryAfterS: number, upload?: RelayError['upload']) {
    super('overloaded', OVERLOADED_MESSAGE[reason], { headers: { 'retry-after': String(retryAfterS) }, upload });
    this.reason = reason;
    this.waitedS = waitedS;
    this.#retryAfterS = retryAfterS;
  }

  /** The same refusal, with the discarding of the request's upload under way. */
  withUpload(upload: NonNullable<RelayError['upload']>): OverloadedError {
    return new OverloadedError(this.reason, this.waitedS, this.#retryAfterS, upload);
  }
}

const OVERLOADED_MESSAGE: Record<ShedReason, string> = {
  queue_full: 'The relay is holding as many requests as its memory allows, and its queue is full; retry after the time in Retry-After.',
  queue_timeout:
    'The relay is holding as many requests as its memory allows, and this one waited too long for room; retry after the time in Retry-After.',
  body_over_budget: "The relay ran out of memory budget while reading this request's body; retry after the time in Retry-After.",
};

interface Waiter {
  ticket: Ticket;
  since: number;
  admit: (ticket: Ticket) => void;
}

export class Admission {
  readonly #opts: AdmissionOptions;
  readonly #largeMin: number;
  /** The most large requests may hold together; a larger charge is cut to it (admitted alone). */
  readonly #largeMax: number;
  #held = 0;
  #heldLarge = 0;
  readonly #small: Waiter[] = [];
  readonly #large: Waiter[] = [];

  constructor(opts: AdmissionOptions) {
    this.#opts = opts;
    this.#largeMin = Math.floor(opts.budgetBytes / LARGE_SHARE);
    this.#largeMax = opts.budgetBytes - Math.floor(opts.budgetBytes / RESERVE_SHARE);
  }

  get budgetBytes(): number {
    return this.#opts.budgetBytes;
  }

  get heldBytes(): number {
    return this.#held;
  }

  get queued(): number {
    return this.#small.length + this.#large.length;
  }

  /** What a request with a body of `bodyBytes` is charged. */
  static charge(bodyBytes: number): number {
    return FOOTPRINT.perRequestBytes + FOOTPRINT.perBodyByte * bodyBytes;
  }

  /** Admits a request of `bodyBytes` (0 when it did not say), at once or after a wait; refuses it
   *  with OverloadedError, or client_aborted when `signal` fires while it waits. */
  admit(bodyBytes: number, signal: AbortSignal): Ticket | Promise<Ticket> {
    const charge = Admission.charge(bodyBytes);
    const large = charge > this.#largeMin;
    const ticket: Ticket = { bytes: large ? Math.min(charge, this.#largeMax) : charge, large, waitedS: 0, released: false };
    const line = large ? this.#large : this.#small;
    if (line.length === 0 && this.#fits(ticket)) return this.#take(ticket);
    if (this.queued >= this.#opts.queueMax) throw new OverloadedError('queue_full', 0, this.#opts.retryAfterS);
    return new Promise<Ticket>((resolve, reject) => {
      const since = performance.now();
      const leave = (err: RelayError) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const at = line.indexOf(waiter);
        if (at >= 0) line.splice(at, 1);
        reject(err);
      };
      const waiter: Waiter = {
        ticket,
        since,
        admit: (t) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(t);
        },
      };
      const timer = setTimeout(() => {
        leave(new OverloadedError('queue_timeout', (performance.now() - since) / 1000, this.#opts.retryAfterS));
        // A large request leaving can let the small ones behind it in.
        this.#drain();
      }, this.#opts.queueTimeoutMs);
      const onAbort = () => leave(new RelayError('client_aborted', 'The client closed the connection while the request waited.'));
      signal.addEventListener('abort', onAbort, { once: true });
      line.push(waiter);
    });
  }

  /** More of a body that did not announce its length: taken now or not at all (no waiting while
   *  the client is mid-upload). */
  grow(ticket: Ticket, bodyBytes: number): boolean {
    const more = FOOTPRINT.perBodyByte * bodyBytes;
    const becomesLarge = !ticket.large && ticket.bytes + more > this.#largeMin;
    const heldLarge = ticket.large || becomesLarge ? this.#heldLarge + (becomesLarge ? ticket.bytes : 0) + more : 0;
    if (this.#held + more > this.#opts.budgetBytes || heldLarge > this.#largeMax) return false;
    this.#held += more;
    if (ticket.large || becomesLarge) this.#heldLarge = heldLarge;
    ticket.bytes += more;
    ticket.large ||= becomesLarge;
    return true;
  }

  /** The refusal of a body without Content-Length that `grow` could not take. */
  overBudget(upload: NonNullable<RelayError['upload']>): OverloadedError {
    return new OverloadedError('body_over_budget', 0, this.#opts.retryAfterS, upload);
  }

  /** The request is over: its bytes go back, and the waiters that now fit are admitted. */
  release(ticket: Ticket): void {
    if (ticket.released) return;
    ticket.released = true;
    this.#held -= ticket.bytes;
    if (ticket.large) this.#heldLarge -= ticket.bytes;
    this.#drain();
  }

  #fits(ticket: Ticket): boolean {
    if (this.#held + ticket.bytes > this.#opts.budgetBytes) return false;
    return !ticket.large || this.#heldLarge + ticket.bytes <= this.#largeMax;
  }

  #take(ticket: Ticket): Ticket {
    this.#held += ticket.bytes;
    if (ticket.large) this.#heldLarge += ticket.bytes;
    return ticket;
  }

  /** Small requests first: they are what the reserve is for. */
  #drain(): void {
    for (const line of [this.#small, this.#large]) {
      while (line.length > 0 && this.#fits(line[0]!.ticket)) {
        const waiter = line.shift()!;
        waiter.ticket.waitedS = (performance.now() - waiter.since) / 1000;
        waiter.admit(this.#take(waiter.ticket));
      }
    }
  }
}
