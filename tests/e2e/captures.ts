// Decodes the host's capture files (tests/host/README.md, "Capture format") with the codec test
// harness: every request and response frame a real client and the real broker exchanged must
// decode exactly to its length. Independent of the filter's own counters.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, harnessExports } from '../codec/wasm.ts';

export interface CaptureReport {
  frames: number;
  decoded: number;
  unknown: string[];
  failures: string[];
  byApi: Record<string, number>;
}

function* frames(buf: Buffer): Generator<Buffer> {
  for (let at = 0; at + 4 <= buf.length; ) {
    const len = buf.readInt32BE(at);
    yield buf.subarray(at + 4, at + 4 + len);
    at += 4 + len;
  }
}

function uvarint(b: Buffer, at: number): [number, number] {
  let v = 0;
  for (let shift = 0, i = at; i < b.length; i++, shift += 7) {
    v |= (b[i] & 0x7f) << shift;
    if ((b[i] & 0x80) === 0) return [v >>> 0, i + 1];
  }
  throw new Error('truncated varint');
}

function skipTags(b: Buffer, at: number): number {
  let [n, p] = uvarint(b, at);
  for (; n > 0; n--) {
    const [, q] = uvarint(b, p);
    const [size, r] = uvarint(b, q);
    p = r + size;
  }
  return p;
}

export function decodeCaptures(dir: string): CaptureReport {
  const hs = new Harness();
  const ex = harnessExports(hs);
  const report: CaptureReport = { frames: 0, decoded: 0, unknown: [], failures: [], byApi: {} };
  const decode = (body: Buffer, key: number, version: number, resp: boolean, what: string) => {
    report.frames++;
    if (!ex.validVersion(key, version)) {
      report.unknown.push(`${what}: api ${key} v${version}`);
      return;
    }
    hs.load(body);
    const r = hs.decode(body.length, key, version, resp, 0, 0, false);
    if (r.status === 1 && r.consumed === body.length) {
      report.decoded++;
      const name = `${hs.str(ex.apiNameOf(key))}${resp ? ' response' : ' request'}`;
      report.byApi[name] = (report.byApi[name] ?? 0) + 1;
    } else report.failures.push(`${what}: ${hs.str(ex.apiNameOf(key))} v${version} status ${r.status} ${r.field} ${r.reason} @${r.offset}`);
  };
  for (const file of readdirSync(dir).filter((f) => /^conn-\d+-request\.bin$/.test(f))) {
    const conn = file.replace('-request.bin', '');
    const sent = new Map<number, [number, number]>();
    for (const f of frames(readFileSync(join(dir, file)))) {
      const key = f.readInt16BE(0);
      const version = f.readInt16BE(2);
      const correlation = f.readInt32BE(4);
      sent.set(correlation, [key, version]);
      let at = 8;
      const idLen = f.readInt16BE(at);
      at += 2 + Math.max(0, idLen);
      if (ex.reqHeaderVersion(key, version) >= 2) at = skipTags(f, at);
      decode(f.subarray(at), key, version, false, `${conn} request #${correlation}`);
    }
    let responses: Buffer;
    try {
      responses = readFileSync(join(dir, `${conn}-response.bin`));
    } catch {
      continue;
    }
    for (const f of frames(responses)) {
      const correlation = f.readInt32BE(0);
      const req = sent.get(correlation);
      if (!req) {
        report.failures.push(`${conn} response #${correlation}: no request`);
        continue;
      }
      const at = ex.respHeaderVersion(req[0], req[1]) >= 1 ? skipTags(f, 4) : 4;
      decode(f.subarray(at), req[0], req[1], true, `${conn} response #${correlation}`);
    }
  }
  return report;
}
