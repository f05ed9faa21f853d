/**
 * A kernel driven the way JupyterLab drives one: created over REST, code sent as an
 * execute_request on the kernel's WebSocket channels (Jupyter messaging protocol 5.3).
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { JupyterServer } from './server.js';

interface Message {
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  channel: string;
  content: Record<string, unknown>;
}

export interface Kernel {
  id: string;
  /** Runs `code`; resolves with its stdout once the kernel is idle again, rejects on error. */
  execute(code: string, timeoutMs: number): Promise<string>;
  /** Closes the channels; the kernel itself goes down with the server's process tree. */
  close(): void;
}

export async function startKernel(server: JupyterServer): Promise<Kernel> {
  const response = await server.request('/api/kernels', { method: 'POST', body: { name: 'python3' } });
  if (!response.ok) throw new Error(`POST /api/kernels answered ${response.status}`);
  const { id } = (await response.json()) as { id: string };
  const session = randomUUID();
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/kernels/${id}/channels?session_id=${session}`, {
    headers: { Authorization: `token ${server.token}` }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);

  const execute = (code: string, timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const msgId = randomUUID();
      let stdout = '';
      let reply: Record<string, unknown> | null = null;
      let idle = false;
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        if (error) reject(error);
        else resolve(stdout);
      };
      const timer = setTimeout(
        () => finish(new Error(`kernel did not finish within ${timeoutMs / 1000} s`)),
        timeoutMs
      );
      const onMessage = (data: WebSocket.RawData): void => {
        const message = JSON.parse(data.toString()) as Message;
        if (message.parent_header.msg_id !== msgId) return;
        const type = message.header.msg_type;
        if (type === 'stream' && message.content.name === 'stdout') stdout += String(message.content.text);
        if (type === 'execute_reply') reply = message.content;
        if (type === 'status' && message.content.execution_state === 'idle') idle = true;
        if (reply && idle) {
          if (reply.status === 'ok') finish();
          else finish(new Error(`kernel error: ${String(reply.ename)}: ${String(reply.evalue)}`));
        }
      };
      socket.on('message', onMessage);
      socket.send(
        JSON.stringify({
          header: {
            msg_id: msgId,
            msg_type: 'execute_request',
            session,
            username: 'bench',
            version: '5.3',
            date: new Date().toISOString()
          },
          parent_header: {},
          metadata: {},
          channel: 'shell',
          buffers: [],
          content: {
            code,
            silent: false,
            store_history: false,
            user_expressions: {},
            allow_stdin: false,
            stop_on_error: true
          }
        })
      );
    });

  return {
    id,
    execute,
    close() {
      socket.terminate();
    }
  };
}
