// The child side of the benchmark's process protocol: listen on 127.0.0.1 port 0, tell the parent the
// port over IPC, answer named queries, and stop on 'stop' (or SIGTERM).
export function serveIpc(server, queries, onStop = async () => {}) {
  server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
  const stop = async () => {
    server.close();
    server.closeAllConnections();
    await onStop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  // The benchmark went away (it failed or was interrupted): never outlive it.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message) => {
    if (message?.type === 'stop') return void stop();
    const query = queries[message?.type];
    if (query !== undefined) process.send({ type: 'reply', id: message.id, value: query() });
  });
}
