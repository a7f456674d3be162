// The text a PNG carries about itself: its `tEXt` and uncompressed `iTXt` chunks (keyword ->
// text). The reader takes a chart's caption (`Title`) and its description in words
// (`Description`, the picture's text alternative) from there, since a briefing's attachments
// carry only a name. Bounded on purpose: this reads bytes that arrived from outside.
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_CHUNKS = 64;
const MAX_TEXT = 2_000;

export type PngText = Readonly<Record<string, string>>;

export function pngText(bytes: Uint8Array): PngText {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) return {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: false });
  const fields: Record<string, string> = {};
  let offset = 8;
  for (let n = 0; n < MAX_CHUNKS && offset + 8 <= bytes.length; n += 1) {
    const length = view.getUint32(offset);
    const type = latin1.decode(bytes.subarray(offset + 4, offset + 8));
    const start = offset + 8;
    const end = start + length;
    if (end + 4 > bytes.length) break;
    if (type === 'IDAT' || type === 'IEND') break;
    const data = bytes.subarray(start, end);
    const zero = data.indexOf(0);
    if (zero > 0 && zero < 80 && (type === 'tEXt' || type === 'iTXt')) {
      const keyword = latin1.decode(data.subarray(0, zero));
      let text: string | null = null;
      if (type === 'tEXt') text = latin1.decode(data.subarray(zero + 1));
      else if (data[zero + 1] === 0) {
        // iTXt: compression flag 0 (none), method, then language and translated keyword.
        const language = data.indexOf(0, zero + 3);
        const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
        if (translated >= 0) text = utf8.decode(data.subarray(translated + 1));
      }
      if (text !== null && !(keyword in fields)) fields[keyword] = text.slice(0, MAX_TEXT).trim();
    }
    offset = end + 4; // the CRC
  }
  return fields;
}
