using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amebo.Platform.Events;
using Amebo.Platform.Hosting;
using Marten;

namespace Amebo.Platform.Subscriptions;

/// <summary>Signs deliveries the Standard Webhooks way: HMAC-SHA256 of "id.timestamp.body" with the secret's bytes.</summary>
public static class WebhookSignature
{
    public const string Prefix = "whsec_";

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, string id, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret[Prefix.Length..]);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }
}

/// <summary>
/// Delivers pending gists: claims due ones, posts each event to its subscription's endpoint with
/// the Standard Webhooks headers, and records the attempt. Any 2xx is delivered; anything else is
/// retried on the schedule with jitter (or after the receiver's Retry-After), until the
/// subscription's retries are spent and the gist is failed. 410 Gone pauses the subscription.
/// Gists of one subscription are delivered one after another, in the order they became due.
/// </summary>
public sealed class Deliverer(
    Gists gists, EventReader events, IDocumentStore store, SubscriptionCatalog catalog, IHttpClientFactory clients,
    AmeboSettings settings, TimeProvider clock, ILogger<Deliverer> logger) : BackgroundService
{
    public const string ClientName = "webhooks";
    private const int ClaimLimit = 128;
    private readonly SemaphoreSlim _nudge = new(0, int.MaxValue);

    /// <summary>New gists exist: look now rather than at the next tick.</summary>
    public void Nudge()
    {
        if (_nudge.CurrentCount == 0) _nudge.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            List<DueGist> due;
            try
            {
                due = await gists.ClaimAsync(ClaimLimit, stopping);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Could not claim deliveries: {Reason}", e.Message);
                due = [];
            }

            if (due.Count == 0)
            {
                try
                {
                    await _nudge.WaitAsync(TimeSpan.FromMilliseconds(500), stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }

            try
            {
                await DeliverRoundAsync(due, stopping);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // The claims lapse and the gists are tried again; the deliverer itself keeps running.
                logger.LogWarning("A round of deliveries could not be completed: {Reason}", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            }
        }
    }


    private async Task DeliverRoundAsync(List<DueGist> due, CancellationToken stopping)
    {
        var stored = (await events.FindByIdsAsync(due.Select(d => d.EventId).Distinct().ToArray(), stopping)).ToDictionary(e => e.Id);
        IReadOnlyList<Subscription> subscriptions;
        await using (var session = store.QuerySession())
        {
            subscriptions = await session.LoadManyAsync<Subscription>(stopping, due.Select(d => d.Subscription).Distinct());
        }
        var byId = subscriptions.ToDictionary(s => s.Id);
        var outcomes = await Task.WhenAll(due.GroupBy(d => d.Subscription).Select(async group =>
        {
            var recorded = new List<GistOutcome>();
            foreach (var gist in group)
            {
                if (await DeliverAsync(gist, byId.GetValueOrDefault(gist.Subscription), stored.GetValueOrDefault(gist.EventId), stopping) is { } outcome)
                {
                    recorded.Add(outcome);
                }
            }
            return recorded;
        }));
        // One statement records the whole round; a crash before it means those gists are delivered again (at least once).
        var recorded = outcomes.SelectMany(o => o).ToList();
        await gists.RecordAsync(recorded, CancellationToken.None);
        foreach (var outcome in recorded)
        {
            var label = outcome.Status switch { "delivered" => "delivered", "failed" => "failed", _ when outcome.Attempt.StatusCode == 410 => "paused", _ => "retry" };
            AmeboMetrics.Deliveries.WithLabels(label).Inc();
            AmeboMetrics.DeliveryDuration.Observe(outcome.Attempt.DurationMs / 1000.0);
        }
    }

    /// <summary>One attempt; its outcome, or null when the gist was given back untried.</summary>
    private async Task<GistOutcome?> DeliverAsync(DueGist gist, Subscription? subscription, StoredEvent? stored, CancellationToken stopping)
    {
        var now = clock.GetUtcNow();
        if (subscription is null || stored is null)
        {
            var reason = subscription is null ? "the subscription was deleted" : "the event no longer exists";
            return new GistOutcome(gist.Id, new GistAttempt(null, 0, reason, now), "failed", null, stored?.Rowid ?? 0);
        }
        if (subscription.Paused)
        {
            await gists.ReleaseAsync(gist.Id, stopping);
            return null;
        }

        var body = JsonSerializer.Serialize(new WebhookBody(stored.Id, stored.Rowid, stored.Action, stored.Stream, stored.Version, stored.Timestamp, stored.Payload), BodyOptions);
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Endpoint) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", gist.Id.ToString());
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(subscription.SigningSecret, gist.Id.ToString(), timestamp, body));

        var stopwatch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        TimeSpan? retryAfter = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(settings.DeliveryTimeout);
        try
        {
            using var answer = await clients.CreateClient(ClientName).SendAsync(request, timeout.Token);
            status = (int)answer.StatusCode;
            retryAfter = answer.Headers.RetryAfter?.Delta
                ?? (answer.Headers.RetryAfter?.Date is { } date ? date - clock.GetUtcNow() : null);
            if (!answer.IsSuccessStatusCode) error = $"the endpoint answered {status}";
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            error = $"no answer within {settings.DeliveryTimeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException e)
        {
            error = e.Message;
        }

        var attempt = new GistAttempt(status, stopwatch.ElapsedMilliseconds, error, now);
        if (error is null)
        {
            return new GistOutcome(gist.Id, attempt, "delivered", null, stored.Rowid);
        }

        if (status == (int)HttpStatusCode.Gone)
        {
            await PauseAsync(subscription);
            return new GistOutcome(gist.Id, attempt with { Error = "the endpoint answered 410 Gone; the subscription is paused" }, "pending", clock.GetUtcNow(), stored.Rowid);
        }

        var retriesLeft = gist.RetriesLeft - 1;
        if (retriesLeft <= 0)
        {
            return new GistOutcome(gist.Id, attempt, "failed", null, stored.Rowid);
        }
        var attemptNumber = subscription.MaxRetries + 1 - retriesLeft;
        var delay = status is 429 or 503 && retryAfter is { } asked && asked > TimeSpan.Zero ? asked : Backoff(attemptNumber);
        return new GistOutcome(gist.Id, attempt, "pending", clock.GetUtcNow() + delay, stored.Rowid);
    }

    /// <summary>The schedule's delay for this retry (the last one repeats), give or take 10%.</summary>
    private TimeSpan Backoff(int attemptNumber)
    {
        var schedule = settings.RetrySchedule;
        var delay = schedule[Math.Clamp(attemptNumber - 1, 0, schedule.Count - 1)];
        return delay * (0.9 + Random.Shared.NextDouble() * 0.2);
    }

    private async Task PauseAsync(Subscription subscription)
    {
        await using var session = store.LightweightSession();
        var current = await session.LoadAsync<Subscription>(subscription.Id);
        if (current is null || current.Paused) return;
        current.Paused = true;
        session.Store(current);
        await session.SaveChangesAsync();
        catalog.Changed(current.Action);
        logger.LogWarning("Subscription {Subscription} is paused: its endpoint answered 410 Gone", current.Id);
    }

    private sealed record WebhookBody(Guid Id, long Rowid, string Action, string Stream, long Version, DateTimeOffset Timestamp, JsonElement Payload);

    private static readonly JsonSerializerOptions BodyOptions = CreateBodyOptions();

    private static JsonSerializerOptions CreateBodyOptions()
    {
        var options = new JsonSerializerOptions();
        JsonConventions.Apply(options);
        return options;
    }
}
