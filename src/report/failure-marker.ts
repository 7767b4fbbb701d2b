// The watchdog workflow decides whether to re-run a failed job from its annotations. durable-agent
// marks its own failures with a fixed, parseable prefix so that decision does not guess from text.

const MARKER = /\[durable-agent:(transient|fatal):([a-z_]+)\]/;

export function failureMarker(kind: 'transient' | 'fatal', reason: string): string {
  return `[durable-agent:${kind}:${reason}]`;
}

export function parseFailureMarker(text: string): { kind: 'transient' | 'fatal'; reason: string } | undefined {
  const match = MARKER.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  return { kind: match[1] === 'transient' ? 'transient' : 'fatal', reason: match[2] };
}
