import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  describeContentType,
  formatBytes,
} from '../../../src/renderer/src/ui/bytes.js';

describe('attachment helpers', () => {
  it('decodes the base64 content the contract carries', () => {
    const bytes = base64ToBytes(btoa('%PDF-1.7\n\u00e9'));
    expect([...bytes]).toEqual([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a, 0xe9]);
  });

  it('writes sizes the way people read them', () => {
    expect(formatBytes(1, 'en-AU')).toBe('1 byte');
    expect(formatBytes(912, 'en-AU')).toBe('912 bytes');
    expect(formatBytes(5_300, 'en-AU')).toBe('5.2 KB');
    expect(formatBytes(48 * 1024, 'en-AU')).toBe('48 KB');
    expect(formatBytes(2.4 * 1024 * 1024, 'en-AU')).toBe('2.4 MB');
  });

  it('names content types in words', () => {
    expect(describeContentType('application/pdf')).toBe('PDF document');
    expect(describeContentType('image/jpeg')).toBe('JPG image');
    expect(describeContentType('image/png; charset=binary')).toBe('PNG image');
    expect(describeContentType('application/vnd.ms-excel')).toBe('File');
  });
});
