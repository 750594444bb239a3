import { describe, expect, it } from 'vitest';
import {
  COLUMN_KEYS,
  clampWidth,
  DEFAULT_WIDTHS,
  gridTemplate,
  MAX_WIDTH,
  MIN_WIDTH,
  readWidths,
  tableMinWidth,
} from '../../renderer/src/state/columns.js';

describe('column widths', () => {
  it('stay within bounds whatever is dragged or saved', () => {
    expect(clampWidth(5)).toBe(MIN_WIDTH);
    expect(clampWidth(10_000)).toBe(MAX_WIDTH);
    expect(clampWidth(Number.NaN)).toBe(MIN_WIDTH);
    expect(clampWidth(123.6)).toBe(124);
    expect(readWidths(JSON.stringify({ sandbox_id: 1, url: 400, user_id: 'wide', bogus: 3 }))).toEqual({
      ...DEFAULT_WIDTHS,
      sandbox_id: MIN_WIDTH,
      url: 400,
    });
    expect(readWidths('not json')).toEqual(DEFAULT_WIDTHS);
    expect(readWidths(null)).toEqual(DEFAULT_WIDTHS);
  });
  it('make the rows’ grid: the checkbox, then every column at its width', () => {
    const t = gridTemplate(DEFAULT_WIDTHS);
    expect(t.split(' ')).toHaveLength(COLUMN_KEYS.length * 2 + 1);
    expect(t.startsWith(`36px minmax(${DEFAULT_WIDTHS.sandbox_id}px, ${DEFAULT_WIDTHS.sandbox_id}fr)`)).toBe(true);
  });
  it('by default the table fits a 1024 px window (sidebar and padding leave 780 px)', () => {
    expect(tableMinWidth(DEFAULT_WIDTHS)).toBeLessThanOrEqual(780);
  });
});
