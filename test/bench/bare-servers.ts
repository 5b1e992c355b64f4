import { createServer } from 'node:http';
import * as ff from '@google-cloud/functions-framework';

// Baselines for the collect benchmark: the least a server on this machine can do for a request.
ff.http('bare', (_req, res) => {
  res.status(202).json({ accepted: 1 });
});

if (process.argv[2] === 'http') {
  const port = Number(process.argv[3]);
  createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}');
    });
  }).listen(port, '127.0.0.1');
}
