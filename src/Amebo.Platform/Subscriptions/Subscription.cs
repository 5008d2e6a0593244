using System.Collections.Concurrent;
using Marten;

namespace Amebo.Platform.Subscriptions;

/// <summary>An application's standing order for the events of one action, delivered to its endpoint.</summary>
public sealed class Subscription
{
    /// <summary>The subscription's id.</summary>
    public required string Id { get; init; }
    public required string Application { get; init; }
    public required string Action { get; init; }
    public required string Endpoint { get; init; }
    public int MaxRetries { get; set; } = 8;
    public string? Description { get; set; }
    public bool Paused { get; set; }

    /// <summary><c>whsec_</c> + base64 of the key deliveries are signed with; shown to the subscriber once.</summary>
    public required string SigningSecret { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A subscription as clients see it after creation: never the signing secret.</summary>
public sealed record SubscriptionView(
    string Subscription, string Application, string Action, string Endpoint, int MaxRetries, string? Description, bool Paused, DateTimeOffset CreatedAt)
{
    public static SubscriptionView From(Subscription s) =>
        new(s.Id, s.Application, s.Action, s.Endpoint, s.MaxRetries, s.Description, s.Paused, s.CreatedAt);
}

/// <summary>The one answer that carries the signing secret: the answer to the creation.</summary>
public sealed record CreatedSubscriptionView(
    string Subscription, string Application, string Action, string Endpoint, int MaxRetries, string? Description, bool Paused,
    string SigningSecret, DateTimeOffset CreatedAt);

/// <summary>
/// The subscriptions of each action, which publishing needs for every event. Paused ones count:
/// their gists are created and wait for the subscription to resume. Cached for a few seconds; a
/// change made by this Amebo process is seen at once.
/// </summary>
public sealed class SubscriptionCatalog(IDocumentStore store, TimeProvider clock)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (IReadOnlyList<Subscription> Active, DateTimeOffset Read)> _byAction = new();

    public async ValueTask<IReadOnlyList<Subscription>> ForAsync(string action, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_byAction.TryGetValue(action, out var cached) && now - cached.Read < Freshness) return cached.Active;

        await using var session = store.QuerySession();
        var active = await session.Query<Subscription>().Where(s => s.Action == action).ToListAsync(ct);
        _byAction[action] = (active, now);
        return active;
    }

    public void Changed(string action) => _byAction.TryRemove(action, out _);

    /// <summary>Forgets everything cached; for tests that wipe the store between cases.</summary>
    internal void Clear() => _byAction.Clear();
}
