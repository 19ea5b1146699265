const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Without a terminal (journald, CI, pipes), one progress line this often. */
const PLAIN_EVERY_MS = 60_000;

export interface WaitProgress {
  /** The server asked for another polling interval (slow_down). */
  interval(seconds: number): void;
  stop(): void;
}

function clock(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * "Waiting for approval": a spinner with a countdown on a terminal, plain
 * lines otherwise (a spinner's carriage returns make a mess of logs).
 */
export function waitProgress(deadline: number, stream: NodeJS.WriteStream = process.stdout): WaitProgress {
  const label = () => `Waiting for approval… ${clock(deadline - Date.now())} left`;
  if (stream.isTTY) {
    let frame = 0;
    const timer = setInterval(() => {
      frame = (frame + 1) % FRAMES.length;
      stream.write(`\r${FRAMES[frame] ?? ''} ${label()}\x1b[K`);
    }, 100);
    return {
      interval: () => undefined,
      stop: () => {
        clearInterval(timer);
        stream.write('\r\x1b[K');
      },
    };
  }
  stream.write(`Waiting for approval (the code expires in ${clock(deadline - Date.now())})...\n`);
  const timer = setInterval(
    () => stream.write(`Still waiting for approval, ${clock(deadline - Date.now())} left.\n`),
    PLAIN_EVERY_MS,
  );
  timer.unref();
  return {
    interval: (seconds) => stream.write(`The server asked to slow down: polling every ${seconds} s.\n`),
    stop: () => clearInterval(timer),
  };
}
