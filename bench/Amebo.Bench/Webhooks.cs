using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Amebo.Bench;

/// <summary>A subscriber's endpoint in the harness: answers 200 at once and notes when each event's payload id arrived.</summary>
public sealed class Sink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock;

    private Sink(WebApplication app, Stopwatch clock)
    {
        _app = app;
        _clock = clock;
    }

    public ConcurrentDictionary<string, TimeSpan> FirstArrival { get; } = new();
    public long Received;
    public string Address => _app.Urls.First();

    public static async Task<Sink> StartAsync(Stopwatch clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var sink = new Sink(app, clock);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            var at = sink._clock.Elapsed;
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var id = body.RootElement.GetProperty("payload").GetProperty("id").GetString()!;
            sink.FirstArrival.TryAdd(id, at);
            Interlocked.Increment(ref sink.Received);
            return Results.Ok();
        });
        await app.StartAsync();
        return sink;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>Publishing with subscribers, and how long an event takes from publish to its webhook.</summary>
public static class Webhooks
{
    public const string Action = "bench.subscribed";

    /// <summary>Registers the sink application and <paramref name="count"/> subscriptions to <see cref="Action"/>.</summary>
    public static async Task SubscribeAsync(AmeboServer server, Sink sink, int count)
    {
        using var admin = server.Client(1, await server.TokenAsync("amebo", AmeboServer.AdminSecret));
        await admin.PostAsync("/v1/applications", AmeboServer.Json($$"""{"application":"sink","address":"{{sink.Address}}","secret":"{{AmeboServer.Secret}}"}"""));
        for (var i = 0; i < count; i++)
        {
            var answer = await admin.PostAsync("/v1/subscriptions", AmeboServer.Json($$"""{"application":"sink","action":"{{Action}}","handler":"/hook/{{i}}"}"""));
            if ((int)answer.StatusCode != 201) throw new InvalidOperationException(await answer.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Publishes at a fixed rate and measures, per event, the time from sending the publish to its first webhook.</summary>
    public static async Task<LoadResult> PublishToDeliveredAsync(AmeboServer server, string token, Sink sink, Stopwatch clock, double perSecond, TimeSpan duration)
    {
        using var client = server.Client(8, token);
        var sent = new ConcurrentDictionary<string, TimeSpan>();
        var run = Guid.NewGuid().ToString("N")[..8];
        await Load.FixedRateAsync(8, perSecond, duration, async (w, n) =>
        {
            var id = $"latency-{run}-{w}-{n}";
            sent[id] = clock.Elapsed;
            using var answer = await client.PostAsync("/v1/events", AmeboServer.Json(AmeboServer.Event(Action, id, n)));
            return (int)answer.StatusCode == 201;
        });
        for (var i = 0; i < 200 && sent.Keys.Any(k => !sink.FirstArrival.ContainsKey(k)); i++) await Task.Delay(50);

        var latencies = sent.Where(s => sink.FirstArrival.ContainsKey(s.Key))
            .Select(s => (sink.FirstArrival[s.Key] - s.Value).TotalMilliseconds).Order().ToList();
        double At(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        return new LoadResult(sent.Count / duration.TotalSeconds, At(0.5), At(0.99), At(0.999), sent.Count - latencies.Count, sent.Count);
    }
}
