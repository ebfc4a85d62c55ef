// What `exec`, `shell`, `check` and `down` say to a lab's supervisor, and its answers: one JSON
// object per line over the lab's Unix socket.
import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { ExecResult } from '../util/process.ts';
import type { RunEvent } from '../report/events.ts';

export type Request =
  | { op: 'exec'; node: string; argv: string[]; input?: string; timeoutMs?: number }
  | { op: 'check' }
  | { op: 'down' };

export type Reply =
  | { type: 'exec'; result: ExecResult }
  | { type: 'event'; event: RunEvent }
  | { type: 'done' }
  | { type: 'error'; message: string };

/** Sends one request and calls `onReply` for each reply until the supervisor closes the connection. */
export function request(socketPath: string, req: Request, onReply: (reply: Reply) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = createConnection(socketPath);
    socket.once('error', reject);
    socket.once('connect', () => socket.end(`${JSON.stringify(req)}\n`));
    const lines = createInterface({ input: socket });
    lines.on('line', (line) => {
      if (line.trim()) onReply(JSON.parse(line) as Reply);
    });
    lines.once('close', () => resolve());
  });
}
