// One live status line on stderr while a phase runs (rewritten in place on a terminal; on a pipe
// or in CI only the final line of each phase is printed).
export class Progress {
  readonly #tty = process.stderr.isTTY === true;
  readonly #label: string;

  constructor(label: string) {
    this.#label = label;
    this.update('starting');
  }

  update(text: string): void {
    if (this.#tty) process.stderr.write(`\r\x1b[K  ${this.#label}  ${text}`);
  }

  done(text: string): void {
    process.stderr.write(`${this.#tty ? '\r\x1b[K' : ''}  ${this.#label}  ${text}\n`);
  }
}
