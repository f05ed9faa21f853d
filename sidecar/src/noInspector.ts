/**
 * SIGUSR1 would open Node's inspector on 127.0.0.1:9229, where any local user could run code
 * as the Jupyter user. serverproxy.py passes --disable-sigusr1 where Node has it (22.14/23.7
 * and later: the signal is then blocked and this listener never runs); on older Nodes this
 * listener is what keeps the inspector closed (a JS listener replaces Node's native one). cli.ts imports this module first, so the listener is
 * in place before the rest of the bundle is even evaluated.
 */
import { stderrLine } from './lastResort.js';

process.on('SIGUSR1', () => stderrLine('cgroup-usage-sidecar: SIGUSR1 ignored (the inspector is disabled)'));
