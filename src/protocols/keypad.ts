/**
 * The caller's keypad, shared by every protocol: keys go out one per pacer slot at a
 * person's pace (100 ms apart; `w` pauses 500 ms), and whoever pressed them learns when the
 * last one went out. What a key press looks like on the wire is the protocol's business.
 */

/** Slots between two key presses, and for a `w` pause: 100 ms and 500 ms, like a person dialling. */
const GAP_SLOTS = 5;
const PAUSE_SLOTS = 25;

interface PendingKey {
  digit: string;
  resolve?: () => void;
}

export class Keypad {
  private readonly keys: PendingKey[] = [];
  private waitSlots = 0;

  /** Queues digits; resolves once the last one has been sent (or the call ended first). */
  press(digits: string): Promise<void> {
    if (digits.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const chars = [...digits];
      chars.forEach((digit, i) => this.keys.push({ digit, resolve: i === chars.length - 1 ? resolve : undefined }));
    });
  }

  /** One pacer slot: sends the next key through `send` when its time has come. */
  tick(send: (digit: string) => void): void {
    if (this.waitSlots > 0) {
      this.waitSlots--;
      return;
    }
    const key = this.keys.shift();
    if (!key) return;
    if (key.digit === 'w') {
      this.waitSlots = PAUSE_SLOTS;
    } else {
      send(key.digit);
      this.waitSlots = GAP_SLOTS;
    }
    key.resolve?.();
  }

  /** The call is over: nobody waits for keys that will never go out. */
  release(): void {
    for (const key of this.keys.splice(0)) key.resolve?.();
  }
}
