/** One parsed server-sent event. */
export interface SseEvent {
  event: string | null;
  data: string;
}

/** Reads an SSE body to the end (or until `stopWhen` says so) and returns its events. */
export async function readSse(
  res: Response, stopWhen?: (e: SseEvent, all: SseEvent[]) => boolean,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let idx: number;
    while ((idx = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      const e = { event, data: data.join('\n') };
      events.push(e);
      if (stopWhen?.(e, events)) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}
