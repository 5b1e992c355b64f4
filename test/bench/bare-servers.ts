import { createServer } from 'node:http';
import * as ff from '@google-cloud/functions-framework';
import { PubSub } from '@google-cloud/pubsub';
import { createPubSubEventBus } from '../../functions/adapters/gcp/pubsub-event-bus.ts';
import { loadCollectSettings } from '../../functions/config.ts';

// Baselines for the collect benchmark: the least a server on this machine can do for a request.
ff.http('bare', (_req, res) => {
  res.status(202).json({ accepted: 1 });
});

// The least a server that publishes what it is sent can do: the Functions Framework, and the request's body published
// as one message through collect's own adapter to the official client, with collect's batching and deadline — no
// token, no checks, no privacy read. What collect spends above this is its own; what this spends above `bare` is the
// publishing every collect pays.
if (process.env.FUNCTION_TARGET === 'publishBody') {
  const settings = loadCollectSettings(process.env);
  const bus = createPubSubEventBus(new PubSub({ projectId: settings.projectId }), settings.topics, settings.publishBatching, {
    timeoutMs: 10_000,
  });
  ff.http('publishBody', (req, res) => {
    if (req.method !== 'POST' || !req.rawBody) {
      res.status(204).end();
      return;
    }
    const data = req.rawBody;
    bus.events.publish({ data, attributes: {} }).then(
      () => res.status(202).json({ accepted: 1 }),
      () => res.status(503).json({ error: 'unavailable' }),
    );
  });
}

if (process.argv[2] === 'http') {
  const port = Number(process.argv[3]);
  createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}');
    });
  }).listen(port, '127.0.0.1');
}
