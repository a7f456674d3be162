// Where a policy file failed to parse, in words a person can act on, without any of its content:
// a parser's own message may quote the text around the mistake, and a policy file may hold a
// client id or an address an organisation keeps to itself; the problem is logged and shown.

/** " at line L, column C" when the parser said where, else "". */
export function whereParseFailed(error: unknown, text?: string): string {
  const message = error instanceof Error ? error.message : '';
  const lineColumn = /line[:\s]+(\d+)[,\s]+col(?:umn)?[:\s]+(\d+)/i.exec(message);
  if (lineColumn) return ` at line ${lineColumn[1]}, column ${lineColumn[2]}`;
  const position = /position (\d+)/i.exec(message);
  if (position && text !== undefined) {
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return ` at line ${line}, column ${column}`;
  }
  return '';
}
