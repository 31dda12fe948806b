import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigError, HOP_ERR } from '../../../src/errors.js';

function syntaxError(text: string): string[] {
  try {
    parseConfigText(text, 'routes.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(HOP_ERR.CONFIG_SYNTAX);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a syntax error');
}

describe('config syntax errors', () => {
  it.each([
    ['a missing value', '{\n  "listen": \n}', ['routes.json:3:1: Unexpected token }, expected a value']],
    ['a trailing comma', '{\n  "routes": [],\n}', ['routes.json:3:1: Unexpected token }, expected a property name in double quotes']],
    ['a missing comma', '{\n  "a": 1\n  "b": 2\n}', ['routes.json:3:3: Unexpected token "b", expected "," or the end of the object or array']],
    ['a single-quoted string', "{ 'a': 1 }", ["routes.json:1:3: Unexpected token 'a', not valid JSON here"]],
    ['a comment', '{ // note\n}', ['routes.json:1:3: Unexpected token // note, comments are not allowed in JSON']],
    ['an unterminated object', '{\n  "routes": []', ['routes.json:2:15: Unexpected end of JSON input, expected "," or "}"']],
    ['an empty file', '', ['routes.json:1:1: Unexpected end of JSON input, expected a value']],
  ])('reports %s with line and column', (_name, text, lines) => {
    expect(syntaxError(text)).toEqual(lines);
  });

  it('parses valid JSON', () => {
    expect(parseConfigText('{"routes": []}', 'x.json')).toEqual({ routes: [] });
  });
});
