/**
 * Counts turns of the event loop from now until `stop()`: work that runs synchronously to its end
 * (node:sqlite, a long computation) lets none happen, so a count above zero shows it made room.
 */
export function countEventLoopTurns(): { stop(): number } {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  return {
    stop() {
      counting = false;
      return turns;
    },
  };
}
