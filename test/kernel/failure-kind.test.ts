import { describe, expect, it } from 'vitest';
import { GRPC_STATUS, failureKind, grpcStatusName, type GrpcStatusName } from '../../functions/kernel/failure-kind.ts';

/** As Google's gRPC clients (Firestore) throw them: an Error whose `code` is the status. */
const grpcError = (name: GrpcStatusName) => Object.assign(new Error(`${GRPC_STATUS[name]} ${name}: details`), { code: GRPC_STATUS[name] });

describe('failureKind: may trying again help?', () => {
  it.each<[GrpcStatusName, 'transient' | 'permanent']>([
    ['INVALID_ARGUMENT', 'permanent'],
    ['OUT_OF_RANGE', 'permanent'],
    ['CANCELLED', 'transient'],
    ['UNKNOWN', 'transient'],
    ['DEADLINE_EXCEEDED', 'transient'],
    ['NOT_FOUND', 'transient'],
    ['ALREADY_EXISTS', 'transient'],
    ['PERMISSION_DENIED', 'transient'],
    ['RESOURCE_EXHAUSTED', 'transient'],
    ['FAILED_PRECONDITION', 'transient'],
    ['ABORTED', 'transient'],
    ['UNIMPLEMENTED', 'transient'],
    ['INTERNAL', 'transient'],
    ['UNAVAILABLE', 'transient'],
    ['DATA_LOSS', 'transient'],
    ['UNAUTHENTICATED', 'transient'],
  ])('%s is %s', (name, kind) => {
    expect(failureKind(grpcError(name))).toBe(kind);
    expect(grpcStatusName(grpcError(name))).toBe(name);
  });

  it.each<[string, unknown]>([
    ['an error without a code', new Error('socket hang up')],
    ['a Node system error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['an HTTP client’s 400, not a gRPC code', Object.assign(new Error('Bad Request'), { code: 400 })],
    ['a thrown string', 'boom'],
    ['nothing at all', undefined],
  ])('takes %s as transient: the dead-letter path keeps what keeps failing', (_name, error) => {
    expect(failureKind(error)).toBe('transient');
    expect(grpcStatusName(error)).toBeNull();
  });
});
