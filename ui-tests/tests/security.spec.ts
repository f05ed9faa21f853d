/**
 * The sidecar is reachable only through Jupyter's authentication: no token, no answer; and
 * its Unix socket is private to the user running Jupyter.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import WebSocket from 'ws';
import { expect, test } from '../helpers/fixtures';
import { sidecarOf } from '../helpers/lab';

test('a request to the sidecar without a token is refused by Jupyter', async ({ lab }) => {
  const metrics = `${lab.url}cgroup-usage/api/v1/metrics`;
  const withToken = await fetch(metrics, { headers: { Authorization: `token ${lab.token}` } });
  expect(withToken.status).toBe(200);
  expect(((await withToken.json()) as { version: number }).version).toBe(1);

  const anonymous = await fetch(metrics, { redirect: 'manual' });
  expect([302, 403]).toContain(anonymous.status);
  expect(await anonymous.text()).not.toContain('"memory"');
  const wrongToken = await fetch(metrics, { redirect: 'manual', headers: { Authorization: 'token not-the-token' } });
  expect([302, 403]).toContain(wrongToken.status);

  // The WebSocket stream too.
  const status = await new Promise<number | string>(resolve => {
    const socket = new WebSocket(`${lab.url.replace('http', 'ws')}cgroup-usage/api/v1/stream`);
    socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('error', error => resolve(error.message));
  });
  expect(status).toBe(403);
});

test('the sidecar listens on a Unix socket only its user can reach', async ({ lab }) => {
  // Make sure the sidecar runs (it starts on the first proxied request).
  await fetch(`${lab.url}cgroup-usage/api/v1/metrics`, { headers: { Authorization: `token ${lab.token}` } });
  const sidecar = sidecarOf(lab.pid);
  expect(sidecar, 'a sidecar process launched by JupyterLab').not.toBeNull();
  const socketPath = sidecar!.args[sidecar!.args.indexOf('--unix-socket') + 1];
  const socket = statSync(socketPath);
  expect(socket.isSocket()).toBe(true);
  expect((socket.mode & 0o777).toString(8)).toBe('600');
  expect((statSync(dirname(socketPath)).mode & 0o077).toString(8)).toBe('0');

  if (process.getuid?.() === 0) {
    // Another user (nobody) trying to connect is turned away by the kernel.
    const attempt = spawnSync(
      process.execPath,
      [
        '-e',
        `require('net').connect(process.argv[1]).on('connect', () => { console.log('connected'); process.exit(0); })
           .on('error', e => { console.log(e.code); process.exit(0); })`,
        socketPath
      ],
      { uid: 65534, gid: 65534, encoding: 'utf8' }
    );
    expect(attempt.stdout.trim()).toBe('EACCES');
  }
});

test('querying the sidecar does not count as user activity (idle culling still works)', async ({ lab }) => {
  const headers = { Authorization: `token ${lab.token}` };
  const lastActivity = async () =>
    ((await (await fetch(`${lab.url}api/status`, { headers })).json()) as { last_activity: string }).last_activity;
  const before = await lastActivity();
  for (const path of ['api/v1/metrics', 'api/v1/history?seconds=60', 'metrics']) {
    expect((await fetch(`${lab.url}cgroup-usage/${path}`, { headers })).status).toBe(200);
  }
  expect(await lastActivity()).toBe(before);
});
