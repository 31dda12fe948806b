/**
 * File → JSON. A syntax error is reported as `file:line:column: message`, from the first error the
 * parser finds (later ones are usually its echo). jsonc-parser is used in strict JSON mode because it
 * reports the offset of every error, where Node 20's JSON.parse omits it for some.
 */
import { readFile } from 'node:fs/promises';
import { parse, type ParseError, ParseErrorCode } from 'jsonc-parser';
import { ConfigError, HOP_ERR } from '../errors.js';

const EXPECTED: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.ValueExpected]: 'expected a value',
  [ParseErrorCode.PropertyNameExpected]: 'expected a property name in double quotes',
  [ParseErrorCode.ColonExpected]: 'expected ":"',
  [ParseErrorCode.CommaExpected]: 'expected "," or the end of the object or array',
  [ParseErrorCode.CloseBraceExpected]: 'expected "," or "}"',
  [ParseErrorCode.CloseBracketExpected]: 'expected "," or "]"',
  [ParseErrorCode.EndOfFileExpected]: 'expected the end of the file',
  [ParseErrorCode.InvalidSymbol]: 'not valid JSON here',
  [ParseErrorCode.InvalidCharacter]: 'control characters must be escaped in strings',
  [ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape in string',
  [ParseErrorCode.InvalidUnicode]: 'invalid \\u escape in string',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'incomplete number',
  [ParseErrorCode.InvalidNumberFormat]: 'invalid number',
  [ParseErrorCode.InvalidCommentToken]: 'comments are not allowed in JSON',
  [ParseErrorCode.UnexpectedEndOfComment]: 'comments are not allowed in JSON',
};

export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message;
    throw new ConfigError(HOP_ERR.CONFIG_READ, [`${path}: cannot read the config: ${reason}`], { cause });
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, source: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first === undefined) return value;
  const { line, column } = lineAndColumn(text, first.offset);
  throw new ConfigError(HOP_ERR.CONFIG_SYNTAX, [`${source}:${line}:${column}: ${describe(text, first)}`]);
}

function describe(text: string, error: ParseError): string {
  const expected = EXPECTED[error.error] ?? 'invalid JSON';
  if (error.offset >= text.length) return `Unexpected end of JSON input, ${expected}`;
  const token = text.slice(error.offset, error.offset + Math.max(1, Math.min(error.length, 20)));
  return `Unexpected token ${token}, ${expected}`;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
