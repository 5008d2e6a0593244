using Amebo.Projections;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace Amebo.Platform.Events;

/// <summary>
/// Appends admitted events to their streams in one transaction. Appends to the same stream are
/// taken one at a time in this process, so concurrent publishers queue instead of colliding;
/// a collision with another Amebo process is retried with a fresh session.
/// </summary>
public sealed class EventAppender(IDocumentStore store)
{
    private const int Stripes = 64;
    private const int MaxAttempts = 20;
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>
    /// Appends and commits, returning the stored events in input order. The explicit commit is
    /// needed because the answer carries each event's committed global position.
    /// </summary>
    public async Task<IReadOnlyList<IEvent>> AppendAsync(IReadOnlyList<AdmittedEvent> events, DateTimeOffset now, CancellationToken ct)
    {
        // Always in ascending order, so two batches touching the same streams cannot deadlock.
        var held = events.Select(e => StripeOf(e.Stream)).Distinct().Order().ToArray();
        var taken = 0;
        try
        {
            for (; taken < held.Length; taken++) await _stripes[held[taken]].WaitAsync(ct);
            return await CommitAsync(events, Microseconds(now), ct);
        }
        finally
        {
            for (var i = taken - 1; i >= 0; i--) _stripes[held[i]].Release();
        }
    }

    private async Task<IReadOnlyList<IEvent>> CommitAsync(IReadOnlyList<AdmittedEvent> events, DateTimeOffset timestamp, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var stored = new IEvent[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                var admitted = events[i];
                var data = new PublishedEvent(admitted.Action.Name, admitted.Payload, admitted.Action.Definition.Version);
                stored[i] = session.Events.Append(admitted.Stream, data).Events[^1];
                // PostgreSQL keeps microseconds: answer with exactly the timestamp that is stored.
                stored[i].Timestamp = timestamp;
            }

            try
            {
                await session.SaveChangesAsync(ct);
                return stored;
            }
            catch (Exception e) when (attempt < MaxAttempts && IsStreamRace(e))
            {
                await Task.Delay(Random.Shared.Next(1, 2 + Math.Min(attempt, 10) * 3), ct);
            }
        }
    }

    private static int StripeOf(string stream) => (int)((uint)StringComparer.Ordinal.GetHashCode(stream) % Stripes);

    private static DateTimeOffset Microseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);

    private static bool IsStreamRace(Exception e) => e switch
    {
        EventStreamUnexpectedMaxEventIdException => true,
        Marten.Exceptions.ExistingStreamIdCollisionException => true,
        Marten.Exceptions.MartenCommandException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } } => true,
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => true,
        _ => false,
    };
}
