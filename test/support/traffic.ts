/**
 * Open-loop traffic to a loopback URL at `rps` for `seconds`, bounded in count and time; resolves
 * with the tally. Requests are not awaited one by one, so a slow server sees the full rate.
 */
export async function sendTraffic(
  url: string,
  rps: number,
  seconds: number,
): Promise<{ sent: number; ok: number; failed: number }> {
  const tally = { sent: 0, ok: 0, failed: 0 };
  const inFlight: Promise<void>[] = [];
  const tickMs = 50;
  const perTick = (rps * tickMs) / 1000;
  let owed = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end && tally.sent < rps * seconds) {
    owed += perTick;
    for (; owed >= 1; owed--) {
      tally.sent++;
      inFlight.push(
        fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
          async (r) => {
            await r.arrayBuffer();
            if (r.ok) tally.ok++;
            else tally.failed++;
          },
          () => {
            tally.failed++;
          },
        ),
      );
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(inFlight);
  return tally;
}
