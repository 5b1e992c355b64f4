import { describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/logging/logger.ts';

function capture() {
  const lines: { line: string; severity: string }[] = [];
  return { lines, sink: (line: string, severity: string) => lines.push({ line, severity }) };
}

describe('structured logger', () => {
  it('writes one Cloud Logging JSON entry per line, with severity, message and labels', () => {
    const { lines, sink } = capture();
    createLogger({ sink, labels: { function: 'collect' } })
      .child({ request: 'r1' })
      .warn('events collected', { rejected: 2 });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]?.line ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({
      severity: 'WARNING',
      message: 'events collected',
      rejected: 2,
      'logging.googleapis.com/labels': { function: 'collect', request: 'r1' },
    });
  });

  it('drops entries below the minimum severity and serializes errors', () => {
    const { lines, sink } = capture();
    const logger = createLogger({ sink, minSeverity: 'WARNING' });
    logger.info('hidden');
    logger.error('publish failed', { error: new Error('UNAVAILABLE') });
    expect(lines.map((l) => l.severity)).toEqual(['ERROR']);
    expect(JSON.parse(lines[0]?.line ?? '')).toMatchObject({ error: { name: 'Error', message: 'UNAVAILABLE' } });
  });
});
