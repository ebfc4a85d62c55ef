// What `exec`, `shell`, `check` and `down` say to a lab's supervisor, and its answers: one JSON
// object per line over the lab's Unix socket.
import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { ExecResult } from '../util/process.ts';
import * as z from 'zod';
import type { RunEvent } from '../report/events.ts';

const requestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('exec'), node: z.string().min(1).max(64), argv: z.array(z.string().max(4096)).min(1).max(256), input: z.string().optional(), timeoutMs: z.number().int().positive().max(3_600_000).optional() }),
  z.strictObject({ op: z.literal('check') }),
  z.strictObject({ op: z.literal('down') }),
]);
export type Request = z.infer<typeof requestSchema>;

/** The longest request line a supervisor reads, in characters (an exec's input included). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** A request line as the supervisor takes it: one of the three requests, or why not. */
export function parseRequest(line: string): Request | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not a request: expected one JSON object' };
  }
  const parsed = requestSchema.safeParse(value);
  return parsed.success ? parsed.data : { problem: `not a request: expected {"op":"exec"|"check"|"down", ...} (${parsed.error.issues[0]?.message ?? 'malformed'})` };
}

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
    // The client keeps its side open until the answer is done: the supervisor reads an end before
    // then as "the client left", and stops the work (a check) that nobody waits for any more.
    socket.once('connect', () => socket.write(`${JSON.stringify(req)}\n`));
    const lines = createInterface({ input: socket });
    // readline passes the socket's errors on (a refused connect, a lab gone down meanwhile): the same rejection, not a crash.
    lines.once('error', reject);
    lines.on('line', (line) => {
      if (line.trim()) onReply(JSON.parse(line) as Reply);
    });
    lines.once('close', () => resolve());
  });
}
