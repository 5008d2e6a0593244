using System.Diagnostics;
using System.Text.Json;

namespace Amebo.Bench;

public sealed record RebuildResult(long Events, double Seconds)
{
    public double EventsPerSecond => Events / Seconds;
}

public sealed record LagResult(double Mean, long Max);

/// <summary>Projection scenarios: seeding and rebuilding user-profiles, and async lag under a steady publish rate.</summary>
public static class Rebuild
{
    /// <summary>Stores <paramref name="events"/> user events (one created and four updates per user) in batches of 1000.</summary>
    public static async Task SeedAsync(AmeboServer server, string token, int events)
    {
        using var client = server.Client(4, token);
        var users = events / 5;
        var stopwatch = Stopwatch.StartNew();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var start = Interlocked.Add(ref next, 200) - 200;
                if (start >= users) return;
                var items = Enumerable.Range(start, Math.Min(200, users - start)).SelectMany(u => Enumerable.Range(0, 5).Select(k =>
                    k == 0
                        ? AmeboServer.Event("user.created", $"seed-{u}", 0)
                        : AmeboServer.Event("user.profile_updated", $"seed-{u}", k)));
                using var answer = await client.PostAsync("/v1/events/batch", AmeboServer.Json($$"""{"events":[{{string.Join(',', items)}}]}"""));
                if ((int)answer.StatusCode != 201) throw new InvalidOperationException(await answer.Content.ReadAsStringAsync());
                if (start / 200 % 100 == 0) Console.WriteLine($"  seeded {Math.Min(users, start + 200) * 5:N0} / {events:N0}");
            }
        })));
        Console.WriteLine($"  seeded {events:N0} events in {stopwatch.Elapsed.TotalSeconds:F1} s");
    }

    public static async Task<RebuildResult> RunAsync(AmeboServer server, string projection)
    {
        using var admin = server.Client(1, await server.TokenAsync("amebo", AmeboServer.AdminSecret));
        var stopwatch = Stopwatch.StartNew();
        var started = await admin.PostAsync($"/v1/projections/{projection}/rebuild", AmeboServer.Json(""));
        if ((int)started.StatusCode != 202) throw new InvalidOperationException(await started.Content.ReadAsStringAsync());
        long total = 0;
        var lastShown = -10.0;
        while (true)
        {
            await Task.Delay(200);
            var status = await StatusAsync(admin, projection);
            if (status.GetProperty("status").GetString() != "rebuilding")
            {
                total = status.GetProperty("high_water_mark").GetInt64();
                break;
            }
            var percent = status.TryGetProperty("percent", out var p) ? p.GetDouble() : 0;
            if (percent - lastShown >= 10)
            {
                Console.WriteLine($"  rebuilding: {percent:F0}%");
                lastShown = percent;
            }
        }
        return new RebuildResult(total, stopwatch.Elapsed.TotalSeconds);
    }

    public static async Task<LagResult> LagUnderLoadAsync(AmeboServer server, string token, double perSecond, TimeSpan duration)
    {
        using var client = server.Client(8, token);
        using var reader = server.Client(1, token);
        var lags = new List<long>();
        using var stop = new CancellationTokenSource(duration);
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                lags.Add((await StatusAsync(reader, "action-stats")).GetProperty("lag").GetInt64());
                await Task.Delay(250);
            }
        });
        await Load.FixedRateAsync(8, perSecond, duration, async (w, n) =>
        {
            using var answer = await client.PostAsync("/v1/events", AmeboServer.Json(
                AmeboServer.Event("bench.created", $"lag-{w}-{n}", n)));
            return (int)answer.StatusCode == 201;
        });
        await sampling;
        return new LagResult(lags.Count == 0 ? 0 : lags.Average(), lags.Count == 0 ? 0 : lags.Max());
    }

    private static async Task<JsonElement> StatusAsync(HttpClient client, string projection)
    {
        var body = JsonDocument.Parse(await client.GetStringAsync("/v1/projections"));
        return body.RootElement.GetProperty("data").EnumerateArray().Single(p => p.GetProperty("name").GetString() == projection).Clone();
    }
}
