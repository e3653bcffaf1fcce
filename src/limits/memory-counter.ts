import {
  fixedWindowStart,
  type LimitCounter,
  type LimitDecision,
  slidingSlot,
  type Window,
} from './counter.ts';

/** A sliding window's amounts of one slot (`slidingSlot`), leaving the window with the latest. */
interface Entry {
  slot: number;
  at: number;
  amount: number;
}

/** Fixed windows keep one running sum; sliding windows keep the slots still inside the window. */
interface State {
  windowStart: number;
  sum: number;
  entries: Entry[];
  expiresAt: number;
}

/**
 * Keys looked at for expiry per operation. More than one, so that the sweep outpaces new keys
 * (at most one per operation); a few, so that no operation pays for all of them. Sweeping every
 * key every 1 024 operations instead held one request for 0.4 s at a million keys (per-user
 * limits on a big app).
 */
const SWEEP_PER_OP = 8;

/** Counters for one node, in memory, swept of idle keys as it goes. */
export function memoryCounter(): LimitCounter & { keys(): number } {
  const states = new Map<string, State>();
  // A Map's iterator stays valid while entries are added and deleted: the sweep resumes where it was.
  let cursor = states.entries();

  const sweep = (now: number) => {
    for (let i = 0; i < SWEEP_PER_OP; i++) {
      const next = cursor.next();
      if (next.done) {
        cursor = states.entries();
        return;
      }
      const [k, s] = next.value;
      if (s.expiresAt <= now) states.delete(k);
    }
  };

  const current = (key: string, w: Window, now: number): State => {
    const id = `${w.technique}:${w.windowMs}:${key}`;
    let s = states.get(id);
    if (!s) {
      s = { windowStart: 0, sum: 0, entries: [], expiresAt: 0 };
      states.set(id, s);
    }
    if (w.technique === 'fixed') {
      const start = fixedWindowStart(now, w.windowMs);
      if (s.windowStart !== start) {
        s.windowStart = start;
        s.sum = 0;
      }
    } else {
      const from = now - w.windowMs;
      let drop = 0;
      while (drop < s.entries.length && s.entries[drop]!.at <= from) drop++;
      if (drop > 0) {
        for (let i = 0; i < drop; i++) s.sum -= s.entries[i]!.amount;
        s.entries.splice(0, drop);
        if (s.entries.length === 0) s.sum = 0; // no float drift left behind
      }
    }
    return s;
  };

  const decide = (s: State, w: Window, amount: number, now: number, allowed: boolean): LimitDecision => {
    const used = s.sum;
    let resetMs: number;
    let retryAfterMs = 0;
    if (w.technique === 'fixed') {
      resetMs = s.windowStart + w.windowMs - now;
      if (!allowed) retryAfterMs = resetMs;
    } else {
      resetMs = s.entries.length > 0 ? s.entries[0]!.at + w.windowMs - now : 0;
      if (!allowed) {
        // The earliest moment enough old entries have left the window for `amount` to fit.
        let freed = used;
        for (const e of s.entries) {
          freed -= e.amount;
          if (freed + amount <= w.limit) {
            retryAfterMs = e.at + w.windowMs - now;
            break;
          }
        }
      }
    }
    return {
      allowed,
      limit: w.limit,
      remaining: Math.max(0, w.limit - used),
      resetMs: Math.max(0, resetMs),
      retryAfterMs: Math.max(0, retryAfterMs),
    };
  };

  const record = (s: State, w: Window, amount: number, now: number) => {
    s.sum += amount;
    if (w.technique === 'sliding') {
      const slot = slidingSlot(now, w.windowMs);
      const last = s.entries.at(-1);
      // An amount from an earlier slot (a clock that stepped back) joins the latest entry: it then
      // counts a little longer, never less, and the entries stay in time order.
      if (last && slot <= last.slot) {
        last.amount += amount;
        last.at = Math.max(last.at, now);
      } else s.entries.push({ slot, at: now, amount });
    }
    s.expiresAt = Math.max(s.expiresAt, now + w.windowMs);
  };

  return {
    name: 'memory',
    async take(key, w, amount, now = Date.now()) {
      sweep(now);
      const s = current(key, w, now);
      const allowed = s.sum + amount <= w.limit;
      if (allowed) record(s, w, amount, now);
      return decide(s, w, amount, now, allowed);
    },
    async add(key, w, amount, now = Date.now()) {
      record(current(key, w, now), w, amount, now);
    },
    async peek(key, w, now = Date.now()) {
      const s = current(key, w, now);
      return decide(s, w, 0, now, s.sum < w.limit);
    },
    async close() {
      states.clear();
    },
    /** Keys held now, expired ones not yet swept included. */
    keys: () => states.size,
  };
}
