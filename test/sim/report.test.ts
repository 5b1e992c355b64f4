import { describe, expect, it } from 'vitest';
import { brandVerdict } from './report.ts';
import { wilson } from './score.ts';

// The brand bar of issue 20: the loop's accuracy within 2 points of the ideal observer's on the same pairs.

describe('the brand verdict', () => {
  it('meets the bar within 2 points below the ideal observer: 548 / 1,000 against 565 / 1,000 is −1.7 points', () => {
    expect(brandVerdict(wilson(548, 1000), wilson(565, 1000))).toBe('−1.7 points: **met**');
  });

  it('misses it further below: 540 / 1,000 against 576 / 1,000 is −3.6 points', () => {
    expect(brandVerdict(wilson(540, 1000), wilson(576, 1000))).toBe('−3.6 points: **not met**');
  });

  it('meets it at or above the ideal observer, and is not measured without pairs', () => {
    expect(brandVerdict(wilson(30, 50), wilson(29, 50))).toBe('+2.0 points: **met**');
    expect(brandVerdict(wilson(0, 0), wilson(0, 0))).toBe('not measured');
  });
});
