using System.Collections.Concurrent;
using Amebo.Platform.Applications;
using Marten;

namespace Amebo.Platform.Tokens;

/// <summary>
/// Every token carries the stamp of its application's secret at the time it was issued; rotating
/// the secret changes the stamp and so revokes every earlier token. Stamps are cached for a few
/// seconds: a rotation is immediate on the Amebo process that made it and reaches others within
/// <see cref="Freshness"/>.
/// </summary>
public sealed class SecretStamps(IDocumentStore store, Credentials credentials, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (string? Stamp, DateTimeOffset Read)> _cache = new();

    public async ValueTask<bool> IsCurrentAsync(string application, string? stamp, CancellationToken ct)
    {
        if (application == Credentials.Administrator) return stamp == credentials.AdminStamp;

        var now = clock.GetUtcNow();
        if (!_cache.TryGetValue(application, out var cached) || now - cached.Read > Freshness)
        {
            await using var session = store.QuerySession();
            var found = await session.LoadAsync<Application>(application, ct);
            cached = (found?.SecretStamp, now);
            _cache[application] = cached;
        }
        return cached.Stamp is not null && cached.Stamp == stamp;
    }

    public void Changed(string application, string stamp) => _cache[application] = (stamp, clock.GetUtcNow());

    /// <summary>Forgets every cached stamp; for tests that wipe the store between cases.</summary>
    internal void Clear() => _cache.Clear();
}
