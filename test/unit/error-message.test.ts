import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/error-message.js';

describe('errorMessage', () => {
  it("gives an Error's message and anything else thrown as text", () => {
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
