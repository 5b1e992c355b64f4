/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html), as Google's clients report them in `code`. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusName = keyof typeof GRPC_STATUS;

/** The refusals of a request for what it is: the same request fails the same way on every retry. */
const PERMANENT: ReadonlySet<number> = new Set([GRPC_STATUS.INVALID_ARGUMENT, GRPC_STATUS.OUT_OF_RANGE]);

/**
 * Whether trying again can help. Only a request refused for what it holds can never succeed; an
 * outage, contention, a deadline, a grant not yet in effect, and any error without a gRPC code may
 * pass on a later try, and a poison message still ends on the dead-letter path.
 */
export function failureKind(error: unknown): 'transient' | 'permanent' {
  const code = grpcCode(error);
  return code !== null && PERMANENT.has(code) ? 'permanent' : 'transient';
}

/** The gRPC status name of an error, e.g. `INVALID_ARGUMENT`; null for an error that has none. */
export function grpcStatusName(error: unknown): GrpcStatusName | null {
  const code = grpcCode(error);
  return (Object.keys(GRPC_STATUS) as GrpcStatusName[]).find((name) => GRPC_STATUS[name] === code) ?? null;
}

function grpcCode(error: unknown): number | null {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // HTTP clients (BigQuery) put a status such as 400 in `code`: only 0–16 are gRPC's.
  return Number.isInteger(code) && (code as number) >= 0 && (code as number) <= GRPC_STATUS.UNAUTHENTICATED ? (code as number) : null;
}
