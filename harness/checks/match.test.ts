import { describe, expect, it } from 'vitest';
import { matches } from './match.ts';

describe('matches', () => {
  const entry = { mac: '4E:E9:90:34:2E:B5', dst: '10.10.10.9', flags: ['self'], state: ['STALE'], port: 4789, learning: false, vxlan: { id: 2 } };

  it('treats keys the expectation leaves out as free', () => {
    expect(matches({}, entry)).toBe(true);
    expect(matches({ dst: '10.10.10.9' }, entry)).toBe(true);
  });
  it('compares text case-insensitively and numbers with their text', () => {
    expect(matches({ mac: '4e:e9:90:34:2e:b5' }, entry)).toBe(true);
    expect(matches({ port: '4789' }, entry)).toBe(true);
    expect(matches({ dst: '10.10.10.99' }, entry)).toBe(false);
  });
  it('never equates a boolean with text', () => {
    expect(matches({ learning: false }, entry)).toBe(true);
    expect(matches({ learning: 'false' }, entry)).toBe(false);
  });
  it('needs every listed item in an observed list, and a scalar to be in it', () => {
    expect(matches({ flags: ['self'] }, entry)).toBe(true);
    expect(matches({ flags: ['self', 'master'] }, entry)).toBe(false);
    expect(matches({ state: 'STALE' }, entry)).toBe(true);
    expect(matches({ flags: ['self'] }, { flags: 'self' })).toBe(false);
  });
  it('accepts any one of anyOf', () => {
    expect(matches({ state: { anyOf: ['REACHABLE', 'STALE'] } }, entry)).toBe(true);
    expect(matches({ state: { anyOf: ['REACHABLE', 'DELAY'] } }, entry)).toBe(false);
  });
  it('recurses into nested records and fails on missing ones', () => {
    expect(matches({ vxlan: { id: 2 } }, entry)).toBe(true);
    expect(matches({ vxlan: { id: 3 } }, entry)).toBe(false);
    expect(matches({ inner: { arp: {} } }, entry)).toBe(false);
    expect(matches({ missing: 'x' }, entry)).toBe(false);
  });
});
