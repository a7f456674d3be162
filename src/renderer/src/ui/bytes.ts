/** Decodes the contract's base64 attachment content. */
export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** "912 bytes", "48 KB", "2.4 MB". */
export function formatBytes(size: number, locale?: string): string {
  if (size < 1024) return `${size.toLocaleString(locale)} ${size === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits })} ${units[unit] ?? 'GB'}`;
}

/** "PDF document", "PNG image", "File". */
export function describeContentType(contentType: string): string {
  const type = contentType.toLowerCase().split(';')[0]?.trim() ?? '';
  if (type === 'application/pdf') return 'PDF document';
  if (type.startsWith('image/')) {
    const sub = type
      .slice('image/'.length)
      .replace(/^svg\+xml$/, 'svg')
      .replace(/^jpeg$/, 'jpg');
    return `${sub.toUpperCase()} image`;
  }
  return 'File';
}
