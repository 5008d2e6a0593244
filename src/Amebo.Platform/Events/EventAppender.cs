using System.Threading.Channels;
using Amebo.Projections;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace Amebo.Platform.Events;

/// <summary>A stream that was not at the version its publisher expected.</summary>
public sealed record VersionConflict(string Stream, long Expected, long Actual, string Pointer);

/// <summary>
/// The stored events in input order; or the version conflict that stopped the append; or, when
/// another request took one of the idempotency keys first, <see cref="KeyTaken"/>. Nothing of a
/// request is stored unless all of it is.
/// </summary>
public sealed record AppendResult(IReadOnlyList<IEvent> Stored, VersionConflict? Conflict, bool KeyTaken = false);

/// <summary>
/// Appends admitted events with group commit: requests that arrive while a transaction is being
/// committed wait for the next one and are committed together, so concurrent publishers share the
/// cost of a commit. One committer runs at a time, which also keeps every stream's events in
/// arrival order. Each request still gets its own outcome: a request whose expected version or
/// idempotency key fails is answered alone and the rest of its group is committed without it.
/// </summary>
public sealed class EventAppender : IAsyncDisposable
{
    private const int MaxGroupRequests = 256;
    private const int MaxGroupEvents = 4000;
    private const int MaxAttempts = 20;

    private readonly IDocumentStore _store;
    private readonly IdempotencyKeys _keys;
    private readonly TimeProvider _clock;
    private readonly ILogger<EventAppender> _logger;
    private readonly Subscriptions.SubscriptionCatalog _subscriptions;
    private readonly Subscriptions.Deliverer _deliverer;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _committer;

    public EventAppender(
        IDocumentStore store, IdempotencyKeys keys, TimeProvider clock, ILogger<EventAppender> logger,
        Subscriptions.SubscriptionCatalog subscriptions, Subscriptions.Deliverer deliverer)
    {
        _subscriptions = subscriptions;
        _deliverer = deliverer;
        _store = store;
        _keys = keys;
        _clock = clock;
        _logger = logger;
        _committer = Task.Run(CommitLoopAsync);
    }

    /// <summary>
    /// Appends one request's events (with its idempotency keys) and answers once they are committed,
    /// carrying each event's committed global position.
    /// </summary>
    public async Task<AppendResult> AppendAsync(IReadOnlyList<AdmittedEvent> events, string application, IReadOnlyList<KeyToWrite> claims)
    {
        var plan = StreamPlan.For(events);
        if (plan.Conflict is not null) return new AppendResult([], plan.Conflict);

        // Every event becomes one gist per active subscription to its action, in the same transaction.
        var subscribers = new IReadOnlyList<Subscriptions.Subscription>[events.Count];
        for (var i = 0; i < events.Count; i++) subscribers[i] = await _subscriptions.ForAsync(events[i].Action.Name, CancellationToken.None);

        var pending = new Pending(events, application, claims, plan, subscribers);
        if (!_queue.Writer.TryWrite(pending)) throw new InvalidOperationException("Amebo is shutting down and takes no more events.");
        // Not cancelled with the request: once queued, the events are committed and the outcome is known.
        return await pending.Outcome.Task;
    }

    private async Task CommitLoopAsync()
    {
        var waiting = new List<Pending>();
        while (waiting.Count > 0 || await _queue.Reader.WaitToReadAsync())
        {
            var group = waiting;
            waiting = [];
            var events = group.Sum(p => p.Events.Count);
            while (group.Count < MaxGroupRequests && events < MaxGroupEvents && _queue.Reader.TryRead(out var next))
            {
                group.Add(next);
                events += next.Events.Count;
            }

            try
            {
                await CommitGroupAsync(group, waiting);
            }
            catch (Exception e)
            {
                // Never leave a publisher without an answer, whatever went wrong; requests put back
                // for the next group had no part in it.
                foreach (var pending in group.Except(waiting)) pending.Outcome.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// Commits as much of the group as can go together; requests that cannot (an expectation or a key
    /// that depends on an earlier member's outcome) go back to <paramref name="waiting"/> for the next group.
    /// </summary>
    private async Task CommitGroupAsync(List<Pending> group, List<Pending> waiting)
    {
        var members = Select(group, waiting);
        for (var attempt = 1; members.Count > 0; attempt++)
        {
            var timestamp = Microseconds(_clock.GetUtcNow());
            await using var session = _store.LightweightSession();
            var stored = Stage(session, members, timestamp);
            try
            {
                await session.SaveChangesAsync();
                for (var i = 0; i < members.Count; i++) members[i].Outcome.TrySetResult(new AppendResult(stored[i], null));
                if (members.Any(m => m.Subscribers.Any(s => s.Count > 0))) _deliverer.Nudge();
                return;
            }
            catch (Exception e) when (IdempotencyKeys.IsKeyTaken(e))
            {
                members = await DropTakenKeysAsync(members);
            }
            catch (Exception e) when (IsStreamRace(e))
            {
                var remaining = await DropConflictsAsync(members);
                if (remaining.Count == members.Count)
                {
                    // Another Amebo process appended to one of these streams meanwhile: try again.
                    if (attempt >= MaxAttempts) throw;
                    await Task.Delay(Random.Shared.Next(1, 2 + Math.Min(attempt, 10) * 3));
                }
                members = remaining;
            }
            catch (Exception e) when (members.Count > 1)
            {
                // Something unexpected failed the whole group: commit each request alone, so the
                // failure reaches only the request it belongs to.
                _logger.LogWarning("A group of {Count} appends failed together ({Reason}); committing them one by one", members.Count, e.Message);
                foreach (var member in members) await CommitGroupAsync([member], waiting);
                return;
            }
            members = Select(members, waiting);
        }
    }

    /// <summary>
    /// The requests of <paramref name="candidates"/> that can be committed together, in order. A
    /// request whose expected version is not consistent with the earlier members' events, or whose
    /// idempotency key an earlier member already claims, waits for the next group.
    /// </summary>
    private static List<Pending> Select(List<Pending> candidates, List<Pending> waiting)
    {
        var members = new List<Pending>(candidates.Count);
        var appended = new Dictionary<string, long>();
        var expectedBefore = new Dictionary<string, long>();
        var keys = new HashSet<(string, string)>();
        foreach (var pending in candidates)
        {
            var fits = pending.Claims.All(c => !keys.Contains((pending.Application, c.Key)))
                && pending.Plan.ExpectedBefore.All(e =>
                {
                    var required = e.Value - appended.GetValueOrDefault(e.Key);
                    return required >= 0 && (!expectedBefore.TryGetValue(e.Key, out var set) || set == required);
                });
            if (!fits)
            {
                waiting.Add(pending);
                continue;
            }

            members.Add(pending);
            foreach (var (stream, required) in pending.Plan.ExpectedBefore) expectedBefore.TryAdd(stream, required - appended.GetValueOrDefault(stream));
            foreach (var (stream, indexes) in pending.Plan.Streams) appended[stream] = appended.GetValueOrDefault(stream) + indexes.Count;
            foreach (var claim in pending.Claims) keys.Add((pending.Application, claim.Key));
        }
        return members;
    }

    /// <summary>Appends every member's events to one session, stream by stream in member order; returns each member's events.</summary>
    private List<IEvent[]> Stage(IDocumentSession session, List<Pending> members, DateTimeOffset timestamp)
    {
        var stored = members.Select(m => new IEvent[m.Events.Count]).ToList();
        var streams = new Dictionary<string, List<(int Member, int Index)>>();
        var expectedBefore = new Dictionary<string, long>();
        var appended = new Dictionary<string, long>();
        for (var m = 0; m < members.Count; m++)
        {
            foreach (var (stream, required) in members[m].Plan.ExpectedBefore) expectedBefore.TryAdd(stream, required - appended.GetValueOrDefault(stream));
            foreach (var (stream, indexes) in members[m].Plan.Streams)
            {
                if (!streams.TryGetValue(stream, out var slots)) streams[stream] = slots = [];
                slots.AddRange(indexes.Select(i => (m, i)));
                appended[stream] = appended.GetValueOrDefault(stream) + indexes.Count;
            }
        }

        foreach (var (stream, slots) in streams)
        {
            var data = slots.Select(s =>
            {
                var e = members[s.Member].Events[s.Index];
                return (object)PublishedEvent.For(stream, e.Action.Name, e.Payload, e.Action.Definition.Version);
            }).ToArray();
            var action = expectedBefore.TryGetValue(stream, out var expected)
                ? session.Events.Append(stream, expected + data.Length, data)
                : session.Events.Append(stream, data);
            for (var j = 0; j < slots.Count; j++)
            {
                var (member, index) = slots[j];
                var e = action.Events[j];
                // Ids are made when the event is admitted, so an idempotency key can name its events.
                e.Id = members[member].Events[index].Id;
                // PostgreSQL keeps microseconds: answer with exactly the timestamp that is stored.
                e.Timestamp = timestamp;
                stored[member][index] = e;
            }
        }

        var deliveries = new List<(Guid, Subscriptions.Subscription)>();
        foreach (var member in members)
        {
            foreach (var claim in member.Claims) _keys.Queue(session, member.Application, claim, timestamp);
            for (var i = 0; i < member.Events.Count; i++)
            {
                foreach (var subscription in member.Subscribers[i]) deliveries.Add((member.Events[i].Id, subscription));
            }
        }
        Subscriptions.Gists.Queue(session, deliveries, timestamp);
        return stored;
    }

    /// <summary>Answers the members whose keys another request took first; returns the others.</summary>
    private async Task<List<Pending>> DropTakenKeysAsync(List<Pending> members)
    {
        var remaining = new List<Pending>(members.Count);
        foreach (var member in members)
        {
            var taken = member.Claims.Count > 0 && (await _keys.FindAsync(member.Application, member.Claims.Select(c => c.Key).ToList(), CancellationToken.None)).Count > 0;
            if (taken) member.Outcome.TrySetResult(new AppendResult([], null, KeyTaken: true));
            else remaining.Add(member);
        }
        return remaining;
    }

    /// <summary>Answers the members whose expected versions no longer hold with their conflict; returns the others.</summary>
    private async Task<List<Pending>> DropConflictsAsync(List<Pending> members)
    {
        var actual = new Dictionary<string, long>();
        await using (var session = _store.QuerySession())
        {
            foreach (var stream in members.SelectMany(m => m.Plan.ExpectedBefore.Keys).Distinct())
            {
                actual[stream] = (await session.Events.FetchStreamStateAsync(stream))?.Version ?? 0;
            }
        }

        var remaining = new List<Pending>(members.Count);
        var appended = new Dictionary<string, long>();
        foreach (var member in members)
        {
            var broken = member.Plan.ExpectedBefore.FirstOrDefault(e => actual[e.Key] + appended.GetValueOrDefault(e.Key) != e.Value);
            if (broken.Key is not null)
            {
                var given = member.Plan.ExpectedAsGiven[broken.Key];
                member.Outcome.TrySetResult(new AppendResult([], new VersionConflict(broken.Key, given.Expected, actual[broken.Key], given.Pointer)));
                continue;
            }
            remaining.Add(member);
            foreach (var (stream, indexes) in member.Plan.Streams) appended[stream] = appended.GetValueOrDefault(stream) + indexes.Count;
        }
        return remaining;
    }

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

    /// <summary>Stops taking events and waits until every queued one is committed and answered.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _committer;
    }

    private sealed record Pending(
        IReadOnlyList<AdmittedEvent> Events, string Application, IReadOnlyList<KeyToWrite> Claims, StreamPlan Plan,
        IReadOnlyList<Subscriptions.Subscription>[] Subscribers)
    {
        public TaskCompletionSource<AppendResult> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// One request's events grouped by stream in request order, and for each stream whose publisher
    /// named an expected version, the version the stream must be at before the request's first event.
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
                        var implied = (before.TryGetValue(e.Stream, out var b) ? b : 0) + indexes.Count;
                        return new StreamPlan(streams, before, given, new VersionConflict(e.Stream, expected, implied, e.Pointer + "/expected_version"));
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
