import { readFileSync } from 'fs';
import { join } from 'path';
import { DEFAULT_SETTINGS, readSettings } from '../../src/settings';

const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schema', 'plugin.json'), 'utf-8'));

describe('settings', () => {
  it('has the same defaults as schema/plugin.json', () => {
    const defaults = Object.fromEntries(
      Object.entries(schema.properties as Record<string, { default: unknown }>).map(([key, value]) => [
        key,
        value.default
      ])
    );
    expect(readSettings(defaults as any)).toEqual(DEFAULT_SETTINGS);
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
  });

  it('gives every setting a title and a description for the Settings Editor', () => {
    for (const [key, property] of Object.entries(schema.properties as Record<string, any>)) {
      expect([key, typeof property.title, typeof property.description]).toEqual([key, 'string', 'string']);
    }
  });

  it('falls back to the defaults field by field', () => {
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(
      readSettings({ enabled: 'no', refreshRate: 'fast', memoryFigure: 'rss', show: null, placement: 'left' } as any)
    ).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ show: { disk: true } }).show).toEqual({ cpu: true, memory: true, disk: true });
  });

  it('clamps numbers into the schema bounds', () => {
    expect(readSettings({ refreshRate: 10 }).refreshRate).toBe(1000);
    expect(readSettings({ refreshRate: 1e9 }).refreshRate).toBe(600000);
    expect(readSettings({ memoryWarningThreshold: 1.5 }).memoryWarningThreshold).toBe(1);
    expect(readSettings({ cpuWarningThreshold: -1 }).cpuWarningThreshold).toBe(0);
    expect(readSettings({ earlyWarning: { horizonSeconds: 1 } }).earlyWarning).toEqual({
      enabled: true,
      horizonSeconds: 5
    });
    expect(readSettings({ earlyWarning: { horizonSeconds: 1e6 } }).earlyWarning.horizonSeconds).toBe(3600);
  });

  it('reads every value that is valid', () => {
    const valid = {
      enabled: false,
      refreshRate: 2000,
      show: { cpu: false, memory: true, disk: true },
      memoryWarningThreshold: 0.5,
      cpuWarningThreshold: 0.6,
      memoryFigure: 'usage' as const,
      earlyWarning: { enabled: false, horizonSeconds: 120 },
      placement: 'topbar' as const
    };
    expect(readSettings(valid)).toEqual(valid);
  });
});
