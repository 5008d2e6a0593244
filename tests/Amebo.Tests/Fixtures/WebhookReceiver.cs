using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Amebo.Tests.Fixtures;

/// <summary>One request a subscriber's endpoint received.</summary>
public sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At);

/// <summary>
/// A real HTTP endpoint on loopback standing in for a subscriber: it records every request and
/// answers with the status codes it is told to, in order (then 200).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _answers = new();
    private readonly ConcurrentQueue<Received> _received = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Address => _app.Urls.First();

    /// <summary>When set, every 429 and 503 answer carries this Retry-After.</summary>
    public int? RetryAfterSeconds { get; set; }
    public IReadOnlyList<Received> Requests => _received.ToList();

    /// <summary>An answer code meaning: wait longer than Amebo's delivery timeout, then answer 200.</summary>
    public const int Slow = -1;

    /// <summary>Answers the next requests with these codes (or <see cref="Slow"/>), in order; every later request gets 200.</summary>
    public void AnswerWith(params int[] statuses)
    {
        foreach (var status in statuses) _answers.Enqueue(status);
    }

    /// <summary>Forgets the answers still queued: every request is answered 200 from now on.</summary>
    public void AnswerOk() => _answers.Clear();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            receiver._received.Enqueue(new Received(context.Request.Path, context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body, DateTimeOffset.UtcNow));
            var status = receiver._answers.TryDequeue(out var next) ? next : 200;
            if (status == Slow)
            {
                await Task.Delay(TimeSpan.FromSeconds(3));
                status = 200;
            }
            if (status is 429 or 503 && receiver.RetryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString();
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits (up to 20 s) until at least <paramref name="count"/> requests arrived.</summary>
    public async Task<IReadOnlyList<Received>> UntilReceived(int count)
    {
        for (var i = 0; i < 400 && _received.Count < count; i++) await Task.Delay(50);
        _received.Count.ShouldBeGreaterThanOrEqualTo(count, "requests the receiver got");
        return Requests;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
