import {
  Firestore,
  type ReadOnlyTransactionOptions,
  type ReadWriteTransactionOptions,
  type Settings,
  type Transaction,
} from '@google-cloud/firestore';
import { DeadlineExceeded, withDeadline } from '../../kernel/deadline.ts';

export type FirestoreDeadlines = {
  /** Longest wait for one RPC, ms, the client's own retries of it included. */
  callMs: number;
  /** How long a transaction may go on, ms: no attempt starts after it. */
  transactionMs: number;
};

/** The RPCs a request path makes: reads and queries (streams), and the steps of a transaction. */
const STREAMED_RPCS = ['BatchGetDocuments', 'RunQuery', 'RunAggregationQuery'] as const;
const UNARY_RPCS = ['BeginTransaction', 'Commit', 'Rollback'] as const;

/**
 * A Firestore client for a request path, whose calls end by themselves when Firestore stops
 * answering: the function gives up on a call at its deadline (`withDeadlines`), and this keeps the
 * calls it gave up on from piling up behind it.
 *
 * Without this, an RPC waits 60 s (300 s for a read), gax retries it for up to 600 s, and a
 * transaction is attempted 5 times: against a frozen emulator a read hung for minutes, a transaction
 * for 295 s. Here every RPC above gets `callMs` in all (gax `timeout_millis` and a retry budget of the
 * same); `gaxServerStreamingRetries` makes the streams keep to it (the older stream retries resent
 * each for about 10 s whatever its timeout). Firestore's own loop of 5 attempts with backoffs from
 * 1 s (not configurable) still runs around a read: against a frozen emulator one ends in 9–12 s
 * at `callMs` 500, in 12–15 s at 1000.
 *
 * Writes outside a transaction (`set`, a batch, `recursiveDelete`'s BulkWriter) pass their own retry
 * settings and keep 60 s per RPC; request paths write only in transactions, but for the BulkWriter
 * that deletes a shopper's applied-event markers on erasure.
 */
export function createBoundedFirestore(settings: Settings, deadlines: FirestoreDeadlines): Firestore {
  const ms = deadlines.callMs;
  const bounded = { timeout_millis: ms, retry_params_name: 'bounded' };
  const clientConfig = {
    interfaces: {
      'google.firestore.v1.Firestore': {
        // Streams are not resent by gax: it would resend from the start a stream that already
        // delivered documents. Firestore's client resends them itself, from where they stopped.
        retry_codes: { none: [] },
        retry_params: {
          bounded: {
            initial_retry_delay_millis: 100,
            retry_delay_multiplier: 1.3,
            max_retry_delay_millis: ms,
            initial_rpc_timeout_millis: ms,
            rpc_timeout_multiplier: 1,
            max_rpc_timeout_millis: ms,
            total_timeout_millis: ms,
          },
        },
        methods: {
          ...Object.fromEntries(STREAMED_RPCS.map((rpc) => [rpc, { ...bounded, retry_codes_name: 'none' }])),
          ...Object.fromEntries(UNARY_RPCS.map((rpc) => [rpc, bounded])),
        },
      },
    },
  };
  return new BoundedTransactionsFirestore({ ...settings, clientConfig, gaxServerStreamingRetries: true }, deadlines.transactionMs);
}

/**
 * Firestore retries a transaction whose attempt failed (contention, a timed-out RPC) up to 5 times
 * with backoff. Here an attempt that would start after the deadline fails instead, with
 * `DeadlineExceeded`, which the client does not retry: the transaction ends, rolled back.
 */
class BoundedTransactionsFirestore extends Firestore {
  readonly #transactionMs: number;

  constructor(settings: Settings, transactionMs: number) {
    super(settings);
    this.#transactionMs = transactionMs;
  }

  override runTransaction<T>(
    updateFunction: (transaction: Transaction) => Promise<T>,
    transactionOptions?: ReadWriteTransactionOptions | ReadOnlyTransactionOptions,
  ): Promise<T> {
    const ms = this.#transactionMs;
    const endsAt = performance.now() + ms;
    return super.runTransaction((transaction) => {
      if (performance.now() >= endsAt) return Promise.reject(new DeadlineExceeded('Firestore transaction', ms));
      return updateFunction(transaction);
    }, transactionOptions);
  }
}

/** How long a function's start waits for its Firestore connection before it takes requests regardless. */
const CONNECT_MS = 5000;

/**
 * Opens the client's connection with a read of a document nobody writes, before the function takes
 * requests. A process's first call also loads the gRPC stack and connects, which on a cold instance
 * can take longer than a request's deadline: the first shopper would be answered 503. A failure is
 * left for the requests to meet.
 */
export async function connect(firestore: Firestore): Promise<void> {
  await withDeadline(firestore.doc('connections/warm-up').get(), CONNECT_MS, 'Firestore connect').catch(() => undefined);
}
