using Amebo.Projections;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Npgsql;

namespace Amebo.Platform.Events;

/// <summary>Appends admitted events to their streams in one transaction.</summary>
public static class EventAppender
{
    private const int MaxAttempts = 20;

    /// <summary>
    /// Appends and commits, returning the stored events in input order. The explicit commit is
    /// needed because the answer carries each event's committed global position.
    /// </summary>
    public static async Task<IReadOnlyList<IEvent>> AppendAsync(
        IDocumentSession session, IReadOnlyList<AdmittedEvent> events, DateTimeOffset now, CancellationToken ct)
    {
        var stored = new IEvent[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var admitted = events[i];
            var data = new PublishedEvent(admitted.Action.Name, admitted.Payload, admitted.Action.Definition.Version);
            stored[i] = session.Events.Append(admitted.Stream, data).Events[^1];
            // PostgreSQL keeps microseconds: answer with exactly the timestamp that is stored.
            stored[i].Timestamp = Microseconds(now);
        }

        // Versions are assigned by the database, so a writer that lost a race on the same stream can
        // simply commit again: it gets the next versions.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await session.SaveChangesAsync(ct);
                return stored;
            }
            catch (Exception e) when (attempt < MaxAttempts && IsStreamRace(e))
            {
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), ct);
            }
        }
    }

    private static DateTimeOffset Microseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);

    private static bool IsStreamRace(Exception e) => e switch
    {
        EventStreamUnexpectedMaxEventIdException => true,
        Marten.Exceptions.ExistingStreamIdCollisionException => true,
        MartenCommandException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } } => true,
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => true,
        _ => false,
    };
}
