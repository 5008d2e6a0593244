using System.Diagnostics;

namespace Amebo.Bench;

/// <summary>What one load run measured.</summary>
public sealed record LoadResult(double PerSecond, double P50Ms, double P99Ms, double P999Ms, long Failures, long Operations);

/// <summary>
/// Drives an operation from many concurrent workers. Closed loop (each worker sends its next request
/// when the previous one answers) measures throughput; fixed rate (requests are due on a schedule,
/// and latency counts from when a request was due, not when it was sent) measures latency without
/// coordinated omission.
/// </summary>
public static class Load
{
    public static async Task<LoadResult> ClosedLoopAsync(int workers, TimeSpan duration, Func<int, long, Task<bool>> operation, int itemsPerOperation = 1)
    {
        var latencies = new List<double>[workers];
        var failures = 0L;
        var stopwatch = Stopwatch.StartNew();
        var end = duration;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(4096);
            for (long n = 0; stopwatch.Elapsed < end; n++)
            {
                var started = stopwatch.Elapsed;
                if (!await operation(w, n)) Interlocked.Increment(ref failures);
                mine.Add((stopwatch.Elapsed - started).TotalMilliseconds);
            }
        })));
        var seconds = stopwatch.Elapsed.TotalSeconds;
        return Summarise(latencies.SelectMany(l => l).ToList(), seconds, failures, itemsPerOperation);
    }

    public static async Task<LoadResult> FixedRateAsync(int workers, double perSecond, TimeSpan duration, Func<int, long, Task<bool>> operation)
    {
        var latencies = new List<double>[workers];
        var failures = 0L;
        var stopwatch = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(workers / perSecond);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(4096);
            // Workers start spread over one interval so the schedule is even.
            var due = interval * ((double)w / workers);
            for (long n = 0; due < duration; n++, due += interval)
            {
                var wait = due - stopwatch.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                if (!await operation(w, n)) Interlocked.Increment(ref failures);
                mine.Add((stopwatch.Elapsed - due).TotalMilliseconds);
            }
        })));
        return Summarise(latencies.SelectMany(l => l).ToList(), stopwatch.Elapsed.TotalSeconds, failures, 1);
    }

    private static LoadResult Summarise(List<double> latencies, double seconds, long failures, int itemsPerOperation)
    {
        latencies.Sort();
        double At(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        return new LoadResult(latencies.Count * itemsPerOperation / seconds, At(0.5), At(0.99), At(0.999), failures, latencies.Count);
    }
}
