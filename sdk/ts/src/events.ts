// The program's events, decoded from a transaction. Every instruction emits through Anchor's event CPI: an inner
// instruction to the program itself, signed by its event authority, whose data is Anchor's event tag, the event's
// 8-byte discriminator (the IDL's) and its Borsh fields (decoded by the generated types).
import { EVENTS, type BackstopEvent } from './generated/events';

/** Anchor's tag in front of every self-CPI event (`EVENT_IX_TAG`, little-endian). */
export const EVENT_IX_TAG = new Uint8Array([0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d]);

const startsWith = (data: Uint8Array, prefix: Uint8Array, at = 0) =>
  data.length >= at + prefix.length && prefix.every((byte, index) => data[at + index] === byte);

/** One inner instruction's event, or `null` when its data is not a Backstop event. */
export function decodeEvent(data: Uint8Array): BackstopEvent | null {
  if (!startsWith(data, EVENT_IX_TAG)) return null;
  for (const [name, event] of Object.entries(EVENTS)) {
    if (startsWith(data, event.discriminator, EVENT_IX_TAG.length)) {
      const fields = data.subarray(EVENT_IX_TAG.length + event.discriminator.length);
      return { name, data: event.decoder.decode(fields) } as BackstopEvent;
    }
  }
  return null;
}

/**
 * The events of a transaction, in order, from its inner instructions: pass each inner instruction's program
 * address and data (as an RPC's `meta.innerInstructions` or LiteSVM's `innerInstructions()` give them).
 */
export function decodeEvents(
  inner: Iterable<{ programAddress: string; data: Uint8Array }>,
  programAddress: string,
): BackstopEvent[] {
  const events: BackstopEvent[] = [];
  for (const instruction of inner) {
    if (instruction.programAddress !== programAddress) continue;
    const event = decodeEvent(instruction.data);
    if (event) events.push(event);
  }
  return events;
}
