import { describe, expect, it } from 'vitest';
import { renderEvent } from '../../src/report/transcript.js';

describe('renderEvent', () => {
  it('indents every line of a tool result and clips a long one, saying how much is left out', () => {
    expect(renderEvent({ type: 'tool_result', id: 't1', name: 'Bash', ok: true, output: 'one\ntwo\n' })).toBe('  ✓ Bash\n    one\n    two');
    const long = renderEvent({ type: 'tool_result', id: 't1', ok: false, output: `${'x'.repeat(450)}\n` }) ?? '';
    expect(long).toBe(`  ✗ tool\n    ${'x'.repeat(400)}… (50 more characters)`);
  });

  it('says how much of a text the adapter did not read, in bytes', () => {
    expect(renderEvent({ type: 'tool_result', id: 't1', ok: true, output: `  ${'y'.repeat(450)}`, cutBytes: 2000 })).toBe(`  ✓ tool\n    ${'y'.repeat(400)}… (about 2.0 KiB more)`);
    expect(renderEvent({ type: 'text', text: 'short start', cutBytes: 10 })).toBe('short start… (about 10 B more)');
  });

  it('shows nothing for turns, other lines and blank text', () => {
    expect(renderEvent({ type: 'turn', reason: 'end_turn' })).toBeUndefined();
    expect(renderEvent({ type: 'other', kind: 'system/hook' })).toBeUndefined();
    expect(renderEvent({ type: 'text', text: '  \n' })).toBeUndefined();
  });
});
