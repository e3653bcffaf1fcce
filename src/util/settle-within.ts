/**
 * Waits for `work` at most `ms`: true when it settled in time (a rejection is thrown as usual), false
 * when it did not. The work is not cancelled; the caller decides what a late one means.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
