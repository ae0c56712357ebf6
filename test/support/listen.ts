import { createServer, type RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a free port of 127.0.0.1 (an HTTP server, or an app such as Express's); returns it and its base URL. */
export async function listenLocal(target: Server | RequestListener): Promise<{ server: Server; base: string }> {
  const server = target instanceof Server ? target : createServer(target);
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
