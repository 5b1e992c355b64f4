import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { closeDuckDbFiles } from '../adapters/local/duckdb-files.ts';
import { createLogger } from '../logging/logger.ts';

// Serves every function of the entry file in this one process, each on its own loopback port, on
// the Functions Framework's own server: one process, so the local DuckDB warehouse has one owner,
// which checkpoints and closes it when the process is stopped.
// Usage: node functions/local/serve.ts collect=8080 ingest=8081 storeRejected=8082

const logger = createLogger({ labels: { component: 'local-functions' } });
const wanted = process.argv.slice(2).map((arg) => {
  const [name, port] = arg.split('=');
  if (!name || !port || !Number.isInteger(Number(port))) throw new Error(`expected name=port, got ${arg}`);
  return { name, port: Number(port) };
});

await import('../index.ts');

const servers: Server[] = [];
for (const { name, port } of wanted) {
  const server = getTestServer(name);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  servers.push(server);
  logger.info('function serving', { function: name, url: `http://127.0.0.1:${port}` });
}

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  for (const server of servers) {
    server.close();
    server.closeIdleConnections();
  }
  // Queued behind the statements of requests still running. Without it the rows would stay in the
  // write-ahead log (a 1 GB threshold: see duckdb-warehouse.ts), and deleted rows' bytes with them.
  try {
    await closeDuckDbFiles();
    logger.info('warehouse checkpointed and closed');
  } catch (error) {
    logger.error('the warehouse could not be closed; its write-ahead log is replayed when it is next opened', { error });
    process.exitCode = 1;
  }
  process.exit();
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
