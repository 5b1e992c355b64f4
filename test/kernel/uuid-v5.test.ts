import { describe, expect, it } from 'vitest';
import { uuidV5 } from '../../functions/kernel/uuid-v5.ts';

const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

describe('uuidV5', () => {
  it('gives the ids other implementations give (Python’s uuid.uuid5)', () => {
    expect(uuidV5('www.example.com', DNS)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5('https://grocery-learning-loop/order', URL_NAMESPACE)).toBe('41bb3ad5-5b02-52e8-9dea-8688fd26635a');
  });

  it('is a version 5, RFC variant UUID, different for another name', () => {
    const id = uuidV5('another name', DNS);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).not.toBe(uuidV5('www.example.com', DNS));
  });

  it('refuses a namespace that is no UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(RangeError);
  });
});
