import { createHash } from 'node:crypto';

/**
 * A name-based UUID (RFC 9562 §5.5, version 5): SHA-1 of the namespace's 16 bytes and the name's UTF-8, with the
 * version and variant bits set. The same namespace and name always give the same id, which is what makes an id
 * derived from data (an order of a shopper) repeatable by anyone who knows the rule.
 */
export function uuidV5(name: string, namespace: string): string {
  const hex = namespace.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RangeError(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(Buffer.from(hex, 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const text = bytes.toString('hex');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}
