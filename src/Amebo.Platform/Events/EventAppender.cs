using Amebo.Projections;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace Amebo.Platform.Events;

/// <summary>A stream that was not at the version its publisher expected.</summary>
public sealed record VersionConflict(string Stream, long Expected, long Actual, string Pointer);

/// <summary>
/// The stored events in input order; or the version conflict that stopped the append; or, when
/// another request took one of the idempotency keys first, <see cref="KeyTaken"/>. Nothing is stored
/// unless everything is.
/// </summary>
public sealed record AppendResult(IReadOnlyList<IEvent> Stored, VersionConflict? Conflict, bool KeyTaken = false);

/// <summary>
/// Appends admitted events to their streams in one transaction. Appends to the same stream are
/// taken one at a time in this process, so concurrent publishers queue instead of colliding;
/// a collision with another Amebo process is retried with a fresh session, unless the publisher
/// named the version it expected, in which case the collision is its answer.
/// </summary>
public sealed class EventAppender(IDocumentStore store, IdempotencyKeys keys)
{
    private const int Stripes = 64;
    private const int MaxAttempts = 20;
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>
    /// Appends and commits. The explicit commit is needed because the answer carries each event's
    /// committed global position.
    /// </summary>
    public async Task<AppendResult> AppendAsync(
        IReadOnlyList<AdmittedEvent> events, DateTimeOffset now, CancellationToken ct, string? application = null, IReadOnlyList<KeyToWrite>? claims = null)
    {
        var plan = StreamPlan.For(events);
        if (plan.Conflict is not null) return new AppendResult([], plan.Conflict);

        // Always in ascending order, so two batches touching the same streams cannot deadlock.
        var held = events.Select(e => StripeOf(e.Stream)).Distinct().Order().ToArray();
        var taken = 0;
        try
        {
            for (; taken < held.Length; taken++) await _stripes[held[taken]].WaitAsync(ct);
            return await CommitAsync(events, plan, Microseconds(now), application, claims ?? [], ct);
        }
        finally
        {
            for (var i = taken - 1; i >= 0; i--) _stripes[held[i]].Release();
        }
    }

    private async Task<AppendResult> CommitAsync(
        IReadOnlyList<AdmittedEvent> events, StreamPlan plan, DateTimeOffset timestamp, string? application, IReadOnlyList<KeyToWrite> claims, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var stored = new IEvent[events.Count];
            foreach (var (stream, indexes) in plan.Streams)
            {
                var data = indexes.Select(i => (object)new PublishedEvent(events[i].Action.Name, events[i].Payload, events[i].Action.Definition.Version)).ToArray();
                var action = plan.ExpectedBefore.TryGetValue(stream, out var expected)
                    ? session.Events.Append(stream, expected + data.Length, data)
                    : session.Events.Append(stream, data);
                for (var j = 0; j < indexes.Count; j++)
                {
                    stored[indexes[j]] = action.Events[j];
                    // Ids are made when the event is admitted, so an idempotency key can name its events.
                    action.Events[j].Id = events[indexes[j]].Id;
                    // PostgreSQL keeps microseconds: answer with exactly the timestamp that is stored.
                    action.Events[j].Timestamp = timestamp;
                }
            }
            foreach (var claim in claims)
            {
                keys.Queue(session, application!, claim, timestamp);
            }

            try
            {
                await session.SaveChangesAsync(ct);
                return new AppendResult(stored, null);
            }
            catch (Exception e) when (IdempotencyKeys.IsKeyTaken(e))
            {
                return new AppendResult([], null, KeyTaken: true);
            }
            catch (Exception e) when (IsStreamRace(e))
            {
                if (await FindConflictAsync(plan, ct) is { } conflict) return new AppendResult([], conflict);
                if (attempt >= MaxAttempts) throw;
                await Task.Delay(Random.Shared.Next(1, 2 + Math.Min(attempt, 10) * 3), ct);
            }
        }
    }

    private async Task<VersionConflict?> FindConflictAsync(StreamPlan plan, CancellationToken ct)
    {
        if (plan.ExpectedBefore.Count == 0) return null;
        await using var session = store.QuerySession();
        foreach (var (stream, expected) in plan.ExpectedBefore)
        {
            var actual = (await session.Events.FetchStreamStateAsync(stream, ct))?.Version ?? 0;
            if (actual != expected) return new VersionConflict(stream, plan.ExpectedAsGiven[stream].Expected, actual, plan.ExpectedAsGiven[stream].Pointer);
        }
        return null;
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

    /// <summary>
    /// The events grouped by stream in request order, and for each stream whose publisher named an
    /// expected version, the version the stream must be at before its first event of this request.
    /// </summary>
    private sealed record StreamPlan(
        Dictionary<string, List<int>> Streams,
        Dictionary<string, long> ExpectedBefore,
        Dictionary<string, (long Expected, string Pointer)> ExpectedAsGiven,
        VersionConflict? Conflict)
    {
        public static StreamPlan For(IReadOnlyList<AdmittedEvent> events)
        {
            var streams = new Dictionary<string, List<int>>();
            var before = new Dictionary<string, long>();
            var given = new Dictionary<string, (long, string)>();
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                if (!streams.TryGetValue(e.Stream, out var indexes)) streams[e.Stream] = indexes = [];
                if (e.ExpectedVersion is { } expected)
                {
                    // An item expecting version N after k earlier items of its stream in this request
                    // means the stream must be at N - k before the request.
                    var required = expected - indexes.Count;
                    if (before.TryGetValue(e.Stream, out var other) && other != required || required < 0)
                    {
                        var conflict = new VersionConflict(e.Stream, expected, (before.TryGetValue(e.Stream, out var b) ? b : 0) + indexes.Count, e.Pointer + "/expected_version");
                        return new StreamPlan(streams, before, given, conflict);
                    }
                    before[e.Stream] = required;
                    given.TryAdd(e.Stream, (expected, e.Pointer + "/expected_version"));
                }
                indexes.Add(i);
            }
            return new StreamPlan(streams, before, given, null);
        }
    }
}
