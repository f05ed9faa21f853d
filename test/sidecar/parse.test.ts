/** The pure parsers of /proc and cgroupfs formats. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  finiteOrNull,
  parseCfsQuota,
  parseCpuListSize,
  parseCpuMax,
  parseInteger,
  parseKeyedLines,
  parseMaxOrInteger,
  parseMeminfo,
  parseNanoseconds,
  parsePidCount,
  parsePidsMax,
  parsePressure,
  PID_MAX_LIMIT,
  parseProcStatCpuSeconds,
  parseV1MemoryLimit
} from '../../sidecar/src/parse.js';

describe('parseCpuListSize', () => {
  test('counts ranges and single CPUs', () => {
    assert.equal(parseCpuListSize('0-3,8,10-11\n'), 7);
    assert.equal(parseCpuListSize('0'), 1);
    assert.equal(parseCpuListSize('0-1'), 2);
    assert.equal(parseCpuListSize('0-63'), 64);
  });
  test('an empty list is 0 CPUs', () => {
    assert.equal(parseCpuListSize('\n'), 0);
  });
  test('rejects malformed lists', () => {
    assert.equal(parseCpuListSize('0-'), null);
    assert.equal(parseCpuListSize('3-1'), null);
    assert.equal(parseCpuListSize('a,b'), null);
    assert.equal(parseCpuListSize('0,,1'), null);
  });
  test('rejects CPU numbers beyond NR_CPUS (8192) and ranges the kernel never writes', () => {
    assert.equal(parseCpuListSize('0-8191'), 8192);
    assert.equal(parseCpuListSize('0-8192'), null);
    assert.equal(parseCpuListSize('0-' + '9'.repeat(25)), null);
    // Unordered or overlapping ranges would count CPUs twice.
    assert.equal(parseCpuListSize('0-3,2-5'), null);
    assert.equal(parseCpuListSize('4,0'), null);
    assert.equal(parseCpuListSize('1,1'), null);
  });
});

describe('pids files', () => {
  test('a task count up to the kernel\'s PID_MAX_LIMIT; "max" only in pids.max', () => {
    assert.equal(parsePidCount('42\n'), 42);
    assert.equal(parsePidCount(`${PID_MAX_LIMIT}\n`), PID_MAX_LIMIT);
    assert.ok(Number.isNaN(parsePidCount(`${PID_MAX_LIMIT + 1}\n`)));
    assert.ok(Number.isNaN(parsePidCount('max\n')));
    assert.equal(parsePidsMax('max\n'), Infinity);
    assert.equal(parsePidsMax('100\n'), 100);
    assert.ok(Number.isNaN(parsePidsMax('99999999999\n')));
  });
});

describe('parsePressure', () => {
  test('reads some and full lines', () => {
    const text =
      'some avg10=1.45 avg60=1.04 avg300=1.19 total=7680871\nfull avg10=0.00 avg60=0.10 avg300=0.00 total=12\n';
    assert.deepEqual(parsePressure(text), {
      some: { avg10: 1.45, avg60: 1.04, avg300: 1.19, total: 7680871 },
      full: { avg10: 0, avg60: 0.1, avg300: 0, total: 12 }
    });
  });
  test('a missing full line (cpu.pressure on older kernels) is null', () => {
    assert.deepEqual(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), {
      some: { avg10: 0, avg60: 0, avg300: 0, total: 0 },
      full: null
    });
  });
  test('a missing or malformed some line is malformed', () => {
    assert.equal(parsePressure('full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), null);
    assert.equal(parsePressure('some avg10=x avg60=0.00 avg300=0.00 total=0\n'), null);
    assert.equal(parsePressure('some avg10=0.00 avg60=0.00 total=0\n'), null);
    assert.equal(parsePressure(''), null);
  });
  test('a malformed full line, a line written twice or any other line makes the file malformed', () => {
    const some = 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
    assert.equal(parsePressure(some + 'full avg10=0.00 avg60=0.00 total=0\n'), null);
    assert.equal(parsePressure(some + 'fulk avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), null);
    assert.equal(parsePressure(some + some), null);
    assert.equal(parsePressure('some avg10=0.00 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), null);
    assert.equal(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0 extra=1\n'), null);
    // Averages are percentages; totals are µs that fit a double exactly.
    assert.equal(parsePressure('some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n'), null);
    assert.equal(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=9007199254740993\n'), null);
    // Exactly as the kernel writes it: single spaces, no blank lines.
    assert.equal(parsePressure('\n' + some), null);
    assert.equal(parsePressure(some.replace(' total', '  total')), null);
  });
});

describe('key/value files', () => {
  test('parseKeyedLines keeps every value of each key, as text', () => {
    const values = parseKeyedLines('usage_usec 123\nnr_periods 7\nbad x\nnr_periods 8\n')!;
    assert.deepEqual(values.get('usage_usec'), ['123']);
    assert.deepEqual(values.get('nr_periods'), ['7', '8']);
    assert.deepEqual(values.get('bad'), ['x']);
  });
  test('parseKeyedLines: no line at all, a line of another shape or a garbled key is malformed', () => {
    assert.equal(parseKeyedLines(''), null);
    assert.equal(parseKeyedLines('\n'), null);
    // Exactly as the kernel writes it: a tab or space may be a byte that replaced part of a value.
    assert.equal(parseKeyedLines('anon 5\nfile 12\t\n'), null);
    assert.equal(parseKeyedLines('anon 5\n\nfile 12\n'), null);
    // A newline inside "file 123" leaves "file 1" and "23": not a shorter value.
    assert.equal(parseKeyedLines('anon 5\nfile 1\n23\n'), null);
    assert.equal(parseKeyedLines('anon 5\nthree fields here\n'), null);
    assert.equal(parseKeyedLines('anon 5\nfi@le 123\n'), null);
  });
  test('parseMeminfo converts kB to bytes and keeps unitless counts', () => {
    const values = parseMeminfo('MemTotal:       24684084 kB\nHugePages_Total:       0\n')!;
    assert.equal(values.get('MemTotal'), 24684084 * 1024);
    assert.equal(values.get('HugePages_Total'), 0);
    assert.equal(values.size, 2);
  });
  test('parseMeminfo: any line of another shape makes the file malformed', () => {
    assert.equal(parseMeminfo('MemTotal:       24684084 kB\nbroken line\n'), null);
    assert.equal(parseMeminfo('MemTotal: 24\n684084 kB\n'), null);
  });
  test('parseMeminfo: a value beyond 2^53 bytes or a key written twice is NaN', () => {
    assert.ok(Number.isNaN(parseMeminfo('MemTotal: 9007199254740992 kB\n')!.get('MemTotal')));
    assert.ok(Number.isNaN(parseMeminfo('MemTotal: 1 kB\nMemTotal: 2 kB\n')!.get('MemTotal')));
  });
  test('parseProcStatCpuSeconds sums non-idle jiffies at 100 Hz', () => {
    // user 100 + nice 5 + system 50 + irq 2 + softirq 3 + steal 40 = 200 jiffies; idle and iowait excluded.
    assert.equal(parseProcStatCpuSeconds('cpu  100 5 50 9999 77 2 3 40 8 0\ncpu0 1 1 1 1 1 1 1 1 1 1\n'), 2);
    assert.ok(Number.isNaN(parseProcStatCpuSeconds('intr 1 2 3\n')));
    // Ten values since Linux 2.6.33: a space or newline inside one shifts or drops the rest.
    assert.ok(Number.isNaN(parseProcStatCpuSeconds('cpu  100 5 50 9999 77 2 3 4 0 8 0\n')));
    assert.ok(Number.isNaN(parseProcStatCpuSeconds('cpu  100 5 50 9999 77 2 3 4\n0 8 0\n')));
    assert.ok(Number.isNaN(parseProcStatCpuSeconds('cpu  1 1 1 1 1 1 1 1 1 1\ncpu  100 5 50 9999 77 2 3 40 8 0\n')));
  });
});

describe('limits', () => {
  test('"max" means no limit', () => {
    assert.equal(parseMaxOrInteger('max\n'), Infinity);
    assert.equal(parseMaxOrInteger('4096\n'), 4096);
    assert.ok(Number.isNaN(parseMaxOrInteger('maximum')));
    assert.equal(finiteOrNull(parseMaxOrInteger('max')), null);
  });
  test('huge v1 values mean no limit', () => {
    assert.equal(parseV1MemoryLimit('9223372036854771712\n'), Infinity);
    assert.equal(parseV1MemoryLimit('4611686018427387904'), Infinity); // 2^62
    assert.equal(parseV1MemoryLimit('536870912'), 536870912);
    assert.ok(Number.isNaN(parseV1MemoryLimit('-1')));
    // Between 2^53 and 2^62 no double holds it exactly; at 2^63 and above no kernel writes it.
    assert.ok(Number.isNaN(parseV1MemoryLimit('9007199254740993')));
    assert.ok(Number.isNaN(parseV1MemoryLimit('9223372036854775808')));
    assert.ok(Number.isNaN(parseV1MemoryLimit('9'.repeat(400))));
  });
  test('cpu.max is quota/period cores', () => {
    assert.equal(parseCpuMax('150000 100000\n'), 1.5);
    assert.equal(parseCpuMax('max 100000'), Infinity);
    assert.ok(Number.isNaN(parseCpuMax('100000')));
    assert.ok(Number.isNaN(parseCpuMax('50000 0')));
  });
  test('cpu.max: periods outside 1 ms..1 s and quotas under 1 ms are malformed', () => {
    assert.equal(parseCpuMax('1000 1000'), 1);
    assert.equal(parseCpuMax('max 1000000'), Infinity);
    assert.ok(Number.isNaN(parseCpuMax('50000 999')));
    assert.ok(Number.isNaN(parseCpuMax('max 1000001')));
    assert.ok(Number.isNaN(parseCpuMax('999 100000')));
    assert.ok(Number.isNaN(parseCpuMax('max ' + '9'.repeat(400))));
    assert.ok(Number.isNaN(parseCpuMax('max 100000 1')));
  });
  test('v1 CFS quota: -1 means none', () => {
    assert.equal(parseCfsQuota('50000\n', '100000\n'), 0.5);
    assert.equal(parseCfsQuota('-1\n', '100000\n'), Infinity);
    assert.ok(Number.isNaN(parseCfsQuota('50000\n', '0\n')));
    assert.ok(Number.isNaN(parseCfsQuota('-2\n', '100000\n')));
  });
  test('v1 CFS: the period of 400 nines (once 0 cores, silently) and other impossible values are malformed', () => {
    assert.ok(Number.isNaN(parseCfsQuota('50000\n', '9'.repeat(400) + '\n')));
    assert.ok(Number.isNaN(parseCfsQuota('-1\n', '9'.repeat(400) + '\n')));
    assert.ok(Number.isNaN(parseCfsQuota('-1\n', '0\n')));
    assert.ok(Number.isNaN(parseCfsQuota('500\n', '100000\n')));
    assert.ok(Number.isNaN(parseCfsQuota('50000\n', '2000000\n')));
    // Cut short: 100000 read as 1000 would be a valid period.
    assert.ok(Number.isNaN(parseCfsQuota('50000\n', '1000')));
  });
  test('parseInteger accepts only a whole non-negative integer', () => {
    assert.equal(parseInteger('42\n'), 42);
    // Nothing around the value: "102\t" is what is left of 1024 with its last byte replaced.
    assert.ok(Number.isNaN(parseInteger('102\t\n')));
    assert.ok(Number.isNaN(parseInteger(' 42\n')));
    assert.ok(Number.isNaN(parseInteger('')));
    assert.ok(Number.isNaN(parseInteger('4.2')));
    assert.ok(Number.isNaN(parseInteger('12abc')));
    assert.ok(Number.isNaN(parseInteger('-5')));
    assert.equal(parseInteger(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    assert.ok(Number.isNaN(parseInteger('9007199254740992')));
    assert.ok(Number.isNaN(parseInteger('9'.repeat(400))));
  });
  test('parseNanoseconds takes the whole u64 range (CPU time passes 2^53 ns in 104 CPU-days)', () => {
    assert.equal(parseNanoseconds('9007199254740993\n'), 9007199254740992);
    assert.equal(parseNanoseconds('18446744073709551615'), 2 ** 64);
    assert.ok(Number.isNaN(parseNanoseconds('18446744073709551616')));
    assert.ok(Number.isNaN(parseNanoseconds('-1')));
  });
});
