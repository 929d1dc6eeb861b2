/** Poll until a condition holds or a deadline passes — for tests, instead of fixed sleeps. */

export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(options.message ?? 'condition not met before the deadline');
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}
