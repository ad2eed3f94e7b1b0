import cliProgress from "cli-progress";

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** A progress bar on stderr, only when a person is watching (stderr is a TTY) and output is not JSON. */
export function progress(label: string, total: number, json = false): Progress {
  if (json || !process.stderr.isTTY || total <= 0) return silent;
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}`, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
