import fc from 'fast-check';

// Requests whose HTTP framing is broken, written to a socket as they are: an HTTP client
// library would refuse to send them. Every one says `Connection: close`, so the answer
// ends with the connection.

export interface RawBytes {
  bytes: Buffer;
  /**
   * Close the sending side once written: for requests cut short, which the server would
   * otherwise wait for. (Node aborts any request still unanswered when its client
   * half-closes, so only these do.)
   */
  halfClose: boolean;
}

type Raw = [kind: string, raw: RawBytes];

function head(method: string, target: string, headers: Record<string, string>, extra: string[], version = 'HTTP/1.1'): string {
  const lines = [`${method} ${target} ${version}`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), ...extra];
  return lines.join('\r\n');
}

export function rawRequest(method: string, path: string, headers: Record<string, string>): fc.Arbitrary<Raw> {
  const body = '{"a":1}';
  const h = (extra: string[], version?: string) => head(method, path, headers, extra, version);
  const cases: Raw[] = [
    ['raw:content-length-not-a-number', { bytes: Buffer.from(`${h(['Content-Length: abc'])}\r\n\r\n${body}`), halfClose: false }],
    ['raw:content-length-negative', { bytes: Buffer.from(`${h(['Content-Length: -1'])}\r\n\r\n${body}`), halfClose: false }],
    ['raw:content-length-twice', { bytes: Buffer.from(`${h(['Content-Length: 7', 'Content-Length: 8'])}\r\n\r\n${body}`), halfClose: false }],
    ['raw:content-length-and-chunked', { bytes: Buffer.from(`${h(['Content-Length: 7', 'Transfer-Encoding: chunked'])}\r\n\r\n7\r\n${body}\r\n0\r\n\r\n`), halfClose: false }],
    ['raw:bad-chunk-size', { bytes: Buffer.from(`${h(['Transfer-Encoding: chunked', 'Content-Type: application/json'])}\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`), halfClose: false }],
    ['raw:chunked-split-json', { bytes: Buffer.from(`${h(['Transfer-Encoding: chunked', 'Content-Type: application/json'])}\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n`), halfClose: false }],
    ['raw:chunked-unterminated', { bytes: Buffer.from(`${h(['Transfer-Encoding: chunked', 'Content-Type: application/json'])}\r\n\r\n7\r\n${body}\r\n`), halfClose: true }],
    ['raw:body-shorter-than-length', { bytes: Buffer.from(`${h(['Content-Length: 100', 'Content-Type: application/json'])}\r\n\r\n${body}`), halfClose: true }],
    ['raw:bare-lf', { bytes: Buffer.from(`${h([]).replaceAll('\r\n', '\n')}\n\n`), halfClose: false }],
    ['raw:control-in-header', { bytes: Buffer.from(`${h(['X-Fuzz: a\u0001b'])}\r\n\r\n`), halfClose: false }],
    ['raw:space-in-header-name', { bytes: Buffer.from(`${h(['X Fuzz: b'])}\r\n\r\n`), halfClose: false }],
    ['raw:header-without-colon', { bytes: Buffer.from(`${h(['X-Fuzz'])}\r\n\r\n`), halfClose: false }],
    ['raw:obsolete-line-folding', { bytes: Buffer.from(`${h(['X-Fuzz: a', ' folded'])}\r\n\r\n`), halfClose: false }],
    ['raw:nul-in-header', { bytes: Buffer.from(`${h(['X-Fuzz: a\u0000b'])}\r\n\r\n`), halfClose: false }],
    ['raw:http-9.9', { bytes: Buffer.from(`${h([], 'HTTP/9.9')}\r\n\r\n`), halfClose: false }],
    ['raw:http-1.0', { bytes: Buffer.from(`${h([], 'HTTP/1.0')}\r\n\r\n`), halfClose: false }],
    ['raw:no-version', { bytes: Buffer.from(`${method} ${path}\r\n\r\n`), halfClose: false }],
    ['raw:absolute-uri', { bytes: Buffer.from(`${head(method, `http://evil.example${path}`, headers, [])}\r\n\r\n`), halfClose: false }],
    ['raw:asterisk-target', { bytes: Buffer.from(`${head('OPTIONS', '*', headers, [])}\r\n\r\n`), halfClose: false }],
    ['raw:unknown-method', { bytes: Buffer.from(`${head('FUZZ', path, headers, [])}\r\n\r\n`), halfClose: false }],
    ['raw:lower-case-method', { bytes: Buffer.from(`${head(method.toLowerCase(), path, headers, [])}\r\n\r\n`), halfClose: false }],
    ['raw:invalid-utf8-in-path', { bytes: Buffer.concat([Buffer.from(`${method} ${path}`), Buffer.from([0xff, 0xfe, 0x2f, 0xc0, 0xae]), Buffer.from(` HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)]), halfClose: false }],
    ['raw:invalid-utf8-in-header', { bytes: Buffer.concat([Buffer.from(`${h([])}\r\nX-Fuzz: `), Buffer.from([0xff, 0xc0, 0xae]), Buffer.from('\r\n\r\n')]), halfClose: false }],
    ['raw:tab-in-path', { bytes: Buffer.from(`${head(method, `${path}\tx`, headers, [])}\r\n\r\n`), halfClose: false }],
    ['raw:no-host', { bytes: Buffer.from(`${method} ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`), halfClose: false }],
  ];
  return fc.constantFrom(...cases);
}
