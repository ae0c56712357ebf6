/** Parses a complete SSE body into `{ event, data }` pairs (data JSON-decoded). */
// biome-ignore lint/suspicious/noExplicitAny: each test reads the event payload it expects; a schema per event would be the route's own types again
export function parseSse(body: string): { event: string; data: any }[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });
}
