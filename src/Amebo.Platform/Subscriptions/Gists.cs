using System.Text.Json;
using System.Text.Json.Nodes;
using Amebo.Platform.Hosting;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Amebo.Platform.Subscriptions;

/// <summary>One delivery attempt: the answer's status (null when there was none), how long it took, what went wrong, when.</summary>
public sealed record GistAttempt(int? StatusCode, long DurationMs, string? Error, DateTimeOffset At);

/// <summary>What an attempt leaves behind: the gist's new status, the attempt, and when to try again (if pending).</summary>
public sealed record GistOutcome(Guid Gist, GistAttempt Attempt, string Status, DateTimeOffset? NextAttempt, long Rowid);

/// <summary>A gist that is due, claimed by this process for one delivery attempt.</summary>
public sealed record DueGist(Guid Id, string Subscription, Guid EventId, int RetriesLeft);

/// <summary>A gist as clients see it, with every attempt.</summary>
public sealed record GistView(
    Guid Gist, string Subscription, long Rowid, Guid EventId, string Status, IReadOnlyList<GistAttempt> Attempts,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt);

/// <summary>
/// Gists (deliveries) live in their own table: created in the same transaction as the events they
/// deliver, claimed with <c>for update skip locked</c> so that concurrent deliverers never take the
/// same attempt, and kept with every attempt once delivered or failed.
/// </summary>
public sealed class Gists(AmeboDatabase database, AmeboSettings settings, TimeProvider clock)
{
    private const string Table = AmeboSchema.GistTable;

    /// <summary>
    /// How long a claim holds: if the claiming process dies, its gists are claimed again after this.
    /// Long enough for a delivery that runs into its timeout, short enough that a restart resumes soon.
    /// </summary>
    private TimeSpan Lease => settings.DeliveryTimeout * 2 + TimeSpan.FromSeconds(5);

    /// <summary>Queues, in the append's transaction, one pending gist per event and subscription.</summary>
    public static void Queue(IDocumentSession session, IReadOnlyList<(Guid EventId, Subscription Subscription)> deliveries, DateTimeOffset now)
    {
        if (deliveries.Count == 0) return;
        session.QueueSqlCommand(
            $"insert into {Table} (id, subscription_id, event_id, status, retries_left, next_attempt_at, created_at) " +
            "select id, subscription_id, event_id, 'pending', retries_left, ?, ? from unnest(?, ?, ?, ?) as t(id, subscription_id, event_id, retries_left)",
            now, now,
            deliveries.Select(_ => Guid.CreateVersion7(now)).ToArray(),
            deliveries.Select(d => d.Subscription.Id).ToArray(),
            deliveries.Select(d => d.EventId).ToArray(),
            deliveries.Select(d => d.Subscription.MaxRetries + 1).ToArray());
    }

    /// <summary>Creates pending gists for the stored events of an action in a rowid range, oldest first; returns how many.</summary>
    public async Task<int> ReplayAsync(Subscription subscription, long after, long? until, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var command = database.DataSource.CreateCommand($"""
            insert into {Table} (id, subscription_id, event_id, rowid, status, retries_left, next_attempt_at, created_at)
            select gen_random_uuid(), $1, e.id, e.seq_id, 'pending', $2, $3 + (row_number() over (order by e.seq_id)) * interval '1 microsecond', $3
            from {StoreConfiguration.Schema}.mt_events e
            where e.type in {Projections.PublishedEvent.StoredTypes} and e.data->>'action' = $4 and e.seq_id > $5 and e.seq_id <= $6
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = subscription.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = subscription.MaxRetries + 1 });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = subscription.Action });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = until ?? long.MaxValue });
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Claims up to <paramref name="limit"/> due gists of active subscriptions, oldest first, for one attempt each.</summary>
    public async Task<List<DueGist>> ClaimAsync(int limit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var command = database.DataSource.CreateCommand($"""
            update {Table} g set locked_until = $1
            where g.id in (
                select d.id from {Table} d
                join {StoreConfiguration.Schema}.mt_doc_subscription s on s.id = d.subscription_id
                where d.status = 'pending' and d.next_attempt_at <= $2 and (d.locked_until is null or d.locked_until < $2)
                  and coalesce((s.data->>'paused')::boolean, false) = false
                order by d.next_attempt_at
                limit $3
                for update of d skip locked)
            returning g.id, g.subscription_id, g.event_id, g.retries_left, g.next_attempt_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = now + Lease });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var due = new List<(DueGist Gist, DateTimeOffset At)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            due.Add((new DueGist(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetInt32(3)), reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return due.OrderBy(d => d.At).Select(d => d.Gist).ToList();
    }

    /// <summary>Records attempts, in one statement: each gist delivered, failed for good, or pending again.</summary>
    public async Task RecordAsync(IReadOnlyList<GistOutcome> outcomes, CancellationToken ct)
    {
        if (outcomes.Count == 0) return;
        await using var command = database.DataSource.CreateCommand($"""
            update {Table} g set status = u.status, attempts = g.attempts || u.attempt::jsonb, retries_left = greatest(g.retries_left - 1, 0),
                next_attempt_at = case when u.has_next then u.next_attempt_at else g.next_attempt_at end, locked_until = null, rowid = u.rowid
            from unnest($1::uuid[], $2::text[], $3::text[], $4::boolean[], $5::timestamptz[], $6::bigint[])
                as u(id, status, attempt, has_next, next_attempt_at, rowid)
            where g.id = u.id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Gist).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Status).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => JsonSerializer.Serialize(new[] { o.Attempt }, JsonOptions)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.NextAttempt is not null).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.NextAttempt ?? clock.GetUtcNow()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Rowid).ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Gives a gist back without an attempt (its subscription was paused meanwhile).</summary>
    public async Task ReleaseAsync(Guid gist, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand($"update {Table} set locked_until = null where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = gist });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Makes a gist pending again, due now, with a fresh allowance of retries; false when it does not exist.</summary>
    public async Task<bool> RetryAsync(Guid gist, int retries, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand(
            $"update {Table} set status = 'pending', retries_left = $2, next_attempt_at = $3, locked_until = null where id = $1 and status <> 'pending'");
        command.Parameters.Add(new NpgsqlParameter { Value = gist });
        command.Parameters.Add(new NpgsqlParameter { Value = retries });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<GistView?> FindAsync(Guid gist, CancellationToken ct) =>
        (await ListAsync(null, null, gist, null, 1, ct)).FirstOrDefault();

    /// <summary>Gists by creation order (then id), optionally of one subscription and/or in one status.</summary>
    public async Task<List<GistView>> ListAsync(string? subscription, string? status, Guid? only, Guid? after, int take, CancellationToken ct)
    {
        var sql = $"""
            select g.id, g.subscription_id, coalesce(nullif(g.rowid, 0), e.seq_id, 0), g.event_id, g.status, g.attempts::text, g.next_attempt_at, g.created_at
            from {Table} g left join {StoreConfiguration.Schema}.mt_events e on e.id = g.event_id
            where ($1::text is null or g.subscription_id = $1) and ($2::text is null or g.status = $2)
              and ($3::uuid is null or g.id = $3) and ($4::uuid is null or g.id > $4)
            order by g.id limit $5
            """;
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)subscription ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)only ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = take });
        var gists = new List<GistView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var state = reader.GetString(4);
            gists.Add(new GistView(reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2), reader.GetGuid(3), state,
                JsonSerializer.Deserialize<List<GistAttempt>>(reader.GetString(5), JsonOptions)!,
                state == "pending" ? reader.GetFieldValue<DateTimeOffset>(6) : null, reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return gists;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
