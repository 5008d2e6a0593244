using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amebo.Platform.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace Amebo.Platform.Events;

/// <summary>
/// An idempotency key a publish claims for some of its events: the key, a hash of what was asked
/// under it, and which of the request's events it covers.
/// </summary>
public sealed record IdempotencyClaim(string Key, byte[] Hash, IReadOnlyList<int> EventIndexes, string Pointer);

/// <summary>A key to record with the events it stands for, in the append's transaction.</summary>
public sealed record KeyToWrite(string Key, byte[] Hash, Guid[] EventIds);

/// <summary>What a key was first used for: the request's hash and the events it stored.</summary>
public sealed record IdempotencyRecord(byte[] Hash, Guid[] EventIds);

/// <summary>
/// Idempotency keys, scoped to the publishing application and kept for AMEBO_IDEMPOTENCY_TTL.
/// A key is written in the same transaction as the events it stands for, so a key exists exactly
/// when its events do; two racing requests with one key cannot both append.
/// </summary>
public sealed class IdempotencyKeys(AmeboDatabase database, AmeboSettings settings, TimeProvider clock)
{
    public const int MaxKeyLength = 255;

    /// <summary>A stable hash of what a request asks, independent of whitespace and field order in the body.</summary>
    public static byte[] HashOf(PublishEvent item)
    {
        var canonical = JsonSerializer.Serialize(new object?[] { item.Action, item.Payload, item.Stream, item.ExpectedVersion });
        return SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
    }

    public static byte[] HashOf(IEnumerable<PublishEvent?> items) =>
        SHA256.HashData(items.SelectMany(i => i is null ? [0] : HashOf(i)).ToArray());

    public static string? Problem(string? key) =>
        key is null ? null
        : key.Length is 0 or > MaxKeyLength || key.Any(char.IsControl) ? $"An idempotency key is 1 to {MaxKeyLength} printable characters."
        : null;

    public async Task<Dictionary<string, IdempotencyRecord>> FindAsync(string application, IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var found = new Dictionary<string, IdempotencyRecord>();
        if (keys.Count == 0) return found;
        await using var command = database.DataSource.CreateCommand(
            $"select key, request_hash, event_ids from {AmeboSchema.IdempotencyTable} where application = $1 and key = any($2) and created_at > $3");
        command.Parameters.Add(new NpgsqlParameter { Value = application });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() - settings.IdempotencyTtl });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found[reader.GetString(0)] = new IdempotencyRecord(reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<Guid[]>(2));
        }
        return found;
    }

    /// <summary>
    /// Queues, in the append's transaction, the removal of an expired use of the key and the new one.
    /// A live use of the key makes the insert, and so the whole append, fail.
    /// </summary>
    public void Queue(Marten.IDocumentSession session, string application, KeyToWrite key, DateTimeOffset now)
    {
        session.QueueSqlCommand($"delete from {AmeboSchema.IdempotencyTable} where application = ? and key = ? and created_at <= ?",
            application, key.Key, now - settings.IdempotencyTtl);
        session.QueueSqlCommand($"insert into {AmeboSchema.IdempotencyTable} (application, key, request_hash, event_ids, created_at) values (?, ?, ?, ?, ?)",
            application, key.Key, key.Hash, key.EventIds, now);
    }

    /// <summary>Removes keys past their lifetime; run now and then so the table stays small.</summary>
    public async Task<int> ForgetExpiredAsync(CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand($"delete from {AmeboSchema.IdempotencyTable} where created_at <= $1");
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() - settings.IdempotencyTtl });
        return await command.ExecuteNonQueryAsync(ct);
    }

    public static bool IsKeyTaken(Exception e) =>
        (e as PostgresException ?? e.InnerException as PostgresException) is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "pk_idempotency_keys" };
}

/// <summary>Removes expired idempotency keys once an hour, so the table holds about one TTL of keys.</summary>
public sealed class IdempotencySweeper(IdempotencyKeys keys, ILogger<IdempotencySweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                var removed = await keys.ForgetExpiredAsync(stoppingToken);
                if (removed > 0) logger.LogInformation("Forgot {Count} expired idempotency keys", removed);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Could not forget expired idempotency keys: {Reason}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
