import { describe, expect, it } from 'vitest';
import { renderEvent } from '../../src/report/transcript.js';

describe('renderEvent', () => {
  it('indents every line of a tool result and clips a long one, saying how much is left out', () => {
    expect(renderEvent({ type: 'tool_result', id: 't1', name: 'Bash', ok: true, output: 'one\ntwo\n' })).toBe('  ✓ Bash\n    one\n    two');
    const long = renderEvent({ type: 'tool_result', id: 't1', ok: false, output: `${'x'.repeat(450)}\n` }) ?? '';
    expect(long).toBe(`  ✗ tool\n    ${'x'.repeat(400)}… (50 more characters)`);
  });

  it('shows nothing for turns, other lines and blank text', () => {
    expect(renderEvent({ type: 'turn', reason: 'end_turn' })).toBeUndefined();
    expect(renderEvent({ type: 'other', kind: 'system/hook' })).toBeUndefined();
    expect(renderEvent({ type: 'text', text: '  \n' })).toBeUndefined();
  });
});
