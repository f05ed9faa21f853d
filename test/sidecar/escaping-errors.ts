/**
 * Preloaded (node --import) into a real sidecar by cli.test.ts, so the production code needs no
 * test hook: on SIGUSR2 a timer callback throws, on SIGWINCH a promise is rejected unhandled,
 * as a bug in any callback of the running process would.
 */
process.on('SIGUSR2', () => {
  setTimeout(() => {
    throw new Error('thrown by the test');
  });
});
process.on('SIGWINCH', () => {
  void Promise.reject(new Error('rejected by the test'));
});
