// Loopback ports for the scripts that start code-server (start.mjs, quickstart-check.mjs).
import { createServer } from 'node:net';

/** Whether `port` on 127.0.0.1 can be listened on now. */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port the system says is free now (listen on 0, read it, close). */
export function anyFreePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
