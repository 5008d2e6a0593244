using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amebo.Bench;
using Amebo.Platform.Hosting;

// Amebo's benchmark harness: starts Amebo (Release) on its own PostgreSQL, drives it over HTTP,
// measures the floors in the same run, and prints a markdown table (also saved as JSON).
var quick = args.Contains("--quick");
// --only <words>: run just the scenario groups whose name holds one of the comma-separated words
// (floors, latency, batch, rebuild, lag, webhooks, coldstart).
var onlyAt = Array.IndexOf(args, "--only");
var only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : null;
bool Runs(string group) => only is null || only.Split(',').Any(word => group.Contains(word, StringComparison.OrdinalIgnoreCase));
var runs = quick ? 1 : 3;
// --seconds <n>: how long each measured run lasts (3 quick, 10 full).
var secondsAt = Array.IndexOf(args, "--seconds");
var duration = TimeSpan.FromSeconds(secondsAt >= 0 && secondsAt + 1 < args.Length ? double.Parse(args[secondsAt + 1], CultureInfo.InvariantCulture) : quick ? 3 : 10);
var warmUp = TimeSpan.FromSeconds(quick ? 1 : 3);
// --events <n>: how many user events the rebuild scenario stores first (50,000 quick, 1,000,000 full).
var eventsAt = Array.IndexOf(args, "--events");
var rebuildEvents = eventsAt >= 0 && eventsAt + 1 < args.Length ? int.Parse(args[eventsAt + 1], CultureInfo.InvariantCulture) : quick ? 50_000 : 1_000_000;
var dsn = Environment.GetEnvironmentVariable("AMEBO_DSN");
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;

Console.WriteLine($"Amebo benchmark ({(quick ? "quick" : "full")}: {runs} run(s) of {duration.TotalSeconds:0} s per scenario after {warmUp.TotalSeconds:0} s warm-up)");
await using var embedded = dsn is null ? await EmbeddedPostgres.StartAsync(Path.Combine(Path.GetTempPath(), $"amebo-bench-db-{Guid.NewGuid():N}")) : null;
var connectionString = dsn is null ? embedded!.ConnectionString : AmeboDatabase.ToConnectionString(dsn);
Console.WriteLine($"database: {(dsn is null ? "embedded PostgreSQL" : "AMEBO_DSN")}");

await Floors.PrepareAsync(connectionString);
await using var server = await AmeboServer.StartAsync(connectionString);
var token = await server.PrepareAsync();
var rows = new List<Row>();
var memory = 0.0;

async Task<Row> Measure(string scenario, string unit, Func<TimeSpan, Task<LoadResult>> run, double? floor = null)
{
    Console.Write($"  {scenario}…");
    await run(warmUp);
    var results = new List<LoadResult>();
    for (var i = 0; i < runs; i++) results.Add(await run(duration));
    var row = Row.From(scenario, unit, results, floor);
    rows.Add(row);
    Console.WriteLine($" {row.Median:F0} {unit}" + (row.Failures > 0 ? $" ({row.Failures} failures)" : ""));
    return row;
}

Func<TimeSpan, Task<LoadResult>> Publishing(int connections, string action, Func<int, long, string> id)
{
    var client = server.Client(connections, token);
    return d => Load.ClosedLoopAsync(connections, d, async (w, n) =>
    {
        using var answer = await client.PostAsync("/v1/events", AmeboServer.Json(
            AmeboServer.Event(action, id(w, n), n)));
        return (int)answer.StatusCode == 201;
    });
}

string Unique(int w, long n) => $"{w}-{n}-{Guid.NewGuid():N}";

var floors = new Dictionary<int, double>();
var kestrel = 0.0;
if (Runs("floors publish"))
{
    Console.WriteLine("floors and single-event publishing:");
    foreach (var connections in new[] { 1, 16, 64 })
    {
        floors[connections] = (await Measure($"PostgreSQL alone, 1 event per transaction, {connections} conn", "tx/s",
            d => Floors.PostgresAsync(connectionString, connections, d))).Median;
        await Measure($"publish 1 event, {connections} conn", "events/s", Publishing(connections, "bench.created", Unique), floors[connections]);
        if (connections == 64) memory = server.ResidentMegabytes();
    }
    kestrel = (await Measure("trivial Kestrel endpoint, 64 conn", "req/s", d => Floors.KestrelAsync(64, d))).Median;
    await Measure("publish user.created (inline user-profiles writes), 64 conn", "events/s", Publishing(64, "user.created", Unique), floors[64]);
    await Measure("publish to 8 shared streams, 64 conn", "events/s", Publishing(64, "bench.created", (w, n) => $"shared-{(w + n) % 8}"), floors[64]);
}

if (Runs("latency"))
{
    Console.WriteLine("latency at a fixed rate (latency counted from when each request was due):");
    var measured = rows.SingleOrDefault(r => r.Scenario == "publish 1 event, 64 conn")?.Median ?? 2000;
    foreach (var (connections, rate) in new[] { (1, 200.0), (64, Math.Max(100, measured * 0.7)) })
    {
        var client = server.Client(connections, token);
        await Measure($"publish at {rate:F0}/s fixed rate, {connections} conn", "events/s", d => Load.FixedRateAsync(connections, rate, d, async (w, n) =>
        {
            using var answer = await client.PostAsync("/v1/events", AmeboServer.Json(
                AmeboServer.Event("bench.created", Unique(w, n), n)));
            return (int)answer.StatusCode == 201;
        }));
    }

}

if (Runs("batch"))
{
    Console.WriteLine("batches:");
    foreach (var size in new[] { 100, 1000 })
    {
        var client = server.Client(4, token);
        await Measure($"batch of {size}, 4 conn", "events/s", d => Load.ClosedLoopAsync(4, d, async (w, n) =>
        {
            var items = string.Join(',', Enumerable.Range(0, size).Select(i =>
                AmeboServer.Event("bench.created", $"b{w}-{n}-{i}-{Guid.NewGuid():N}", i)));
            using var answer = await client.PostAsync("/v1/events/batch", AmeboServer.Json($$"""{"events":[{{items}}]}"""));
            return (int)answer.StatusCode == 201;
        }, itemsPerOperation: size));
    }

}

if (Runs("rebuild"))
{
    Console.WriteLine($"rebuild of user-profiles over {rebuildEvents:N0} user events:");
    await Rebuild.SeedAsync(server, token, rebuildEvents);
    var rebuilt = await Rebuild.RunAsync(server, "user-profiles");
    rows.Add(new Row($"rebuild user-profiles ({rebuildEvents:N0} events + the rest of the store)", "events/s", rebuilt.EventsPerSecond, rebuilt.EventsPerSecond, rebuilt.EventsPerSecond, 0, 0, 0, 0, null));
    Console.WriteLine($"  {rebuilt.Events:N0} events in {rebuilt.Seconds:F1} s: {rebuilt.EventsPerSecond:F0} events/s");

}

if (Runs("lag"))
{
    Console.WriteLine("async projection lag under steady load:");
    var lag = await Rebuild.LagUnderLoadAsync(server, token, 200, quick ? TimeSpan.FromSeconds(6) : TimeSpan.FromSeconds(30));
    rows.Add(new Row("action-stats lag at 200 events/s (events behind; mean, max)", "events", lag.Mean, 0, lag.Max, 0, 0, 0, 0, null));
    Console.WriteLine($"  mean {lag.Mean:F0} events behind, max {lag.Max}");

}

if (Runs("webhooks"))
{
    Console.WriteLine("webhooks (5 subscriptions to one action, a sink in this process answering 200):");
    var clock = Stopwatch.StartNew();
    await using (var sink = await Sink.StartAsync(clock))
    {
        await Webhooks.SubscribeAsync(server, sink, 5);
        // Latency first: the throughput run leaves a backlog of deliveries behind it.
        await Measure("publish → first webhook received, 100/s fixed rate", "events/s", d => Webhooks.PublishToDeliveredAsync(server, token, sink, clock, 100, d));
        await Measure("publish with 5 subscriptions, 64 conn", "events/s", Publishing(64, Webhooks.Action, Unique), floors.TryGetValue(64, out var f64) ? f64 : null);
    }
}


if (Runs("coldstart"))
{
    Console.WriteLine("cold start (a new server process on this database; process start → first 201):");
    var starts = quick ? 1 : 5;
    var cold = await ColdStart.MeasureAsync(connectionString, starts);
    double Median(IReadOnlyList<double> values) => values.Order().ElementAt(values.Count / 2);
    rows.Add(new Row($"cold start: process start → token → first 201, {starts} starts", "s", Median(cold.Seconds), cold.Seconds.Min(), cold.Seconds.Max(), 0, 0, 0, 0, null));
    rows.Add(new Row($"resident memory 1 s after the first 201, {starts} starts", "MB", Median(cold.ResidentMegabytes), cold.ResidentMegabytes.Min(), cold.ResidentMegabytes.Max(), 0, 0, 0, 0, null));
}

var report = Report.Build(rows, quick, runs, duration, memory, kestrel);
Console.WriteLine();
Console.WriteLine(report.Markdown);
Directory.CreateDirectory(Report.ResultsDirectory());
var file = Path.Combine(Report.ResultsDirectory(), $"{DateTime.UtcNow:yyyyMMdd-HHmmss}{(quick ? "-quick" : "")}.json");
await File.WriteAllTextAsync(file, report.Json);
Console.WriteLine($"saved {file}");

/// <summary>One line of the table: medians of the runs with their spread, and the ratio to the floor.</summary>
public sealed record Row(string Scenario, string Unit, double Median, double Min, double Max, double P50Ms, double P99Ms, double P999Ms, long Failures, double? Floor)
{
    public static Row From(string scenario, string unit, List<LoadResult> results, double? floor)
    {
        static double Median(IEnumerable<double> values) { var v = values.Order().ToList(); return v[v.Count / 2]; }
        return new Row(scenario, unit, Median(results.Select(r => r.PerSecond)), results.Min(r => r.PerSecond), results.Max(r => r.PerSecond),
            Median(results.Select(r => r.P50Ms)), Median(results.Select(r => r.P99Ms)), Median(results.Select(r => r.P999Ms)), results.Sum(r => r.Failures), floor);
    }
}
