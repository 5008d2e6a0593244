using System.Text.Json;
using Amebo.Platform.Hosting;
using Amebo.Projections;
using Npgsql;

namespace Amebo.Platform.Events;

/// <summary>A stored event as clients read it.</summary>
public sealed record StoredEvent(
    long Rowid, Guid Id, string Action, string Stream, long Version, int SchemaVersion, DateTimeOffset Timestamp, JsonElement Payload);

/// <summary>
/// Reads the event log with plain SQL over Marten's event table: filtering on the action inside the
/// event body and paging by position are simple queries there and awkward through LINQ. Only
/// Amebo's own events are read: Marten also writes tombstones there when an append fails.
/// </summary>
public sealed class EventReader(AmeboDatabase database)
{
    private const string Events = $"{StoreConfiguration.Schema}.mt_events";
    private const string Streams = $"{StoreConfiguration.Schema}.mt_streams";

    public async Task<List<StoredEvent>> ListAsync(string? action, string? stream, long after, int take, CancellationToken ct)
    {
        // The SQL text is chosen from fixed fragments; every input travels as a parameter.
        var parameters = new List<object> { after, take };
        var sql = new System.Text.StringBuilder(
            $"select seq_id, id, stream_id, version, timestamp, data from {Events} where seq_id > $1 and type in {PublishedEvent.StoredTypes}");
        if (action is not null)
        {
            parameters.Add(action);
            sql.Append($" and data->>'action' = ${parameters.Count}");
        }
        if (stream is not null)
        {
            parameters.Add(stream);
            sql.Append($" and stream_id = ${parameters.Count}");
        }
        sql.Append(" order by seq_id limit $2");
        await using var command = Command(sql.ToString(), [.. parameters]);
        return await ReadAsync(command, ct);
    }

    /// <summary>The latest <paramref name="take"/> events of an action, newest first.</summary>
    public async Task<List<StoredEvent>> LatestAsync(string action, int take, CancellationToken ct)
    {
        await using var command = Command(
            $"select seq_id, id, stream_id, version, timestamp, data from {Events} where data->>'action' = $1 and type in {PublishedEvent.StoredTypes} order by seq_id desc limit $2",
            action, take);
        return await ReadAsync(command, ct);
    }

    public async Task<StoredEvent?> FindAsync(long rowid, CancellationToken ct)
    {
        await using var command = Command($"select seq_id, id, stream_id, version, timestamp, data from {Events} where seq_id = $1 and type in {PublishedEvent.StoredTypes}", rowid);
        return (await ReadAsync(command, ct)).FirstOrDefault();
    }

    /// <summary>A stream's events in version order, up to a version and/or an instant (inclusive).</summary>
    public async Task<List<StoredEvent>> StreamUntilAsync(string stream, long? version, DateTimeOffset? at, CancellationToken ct)
    {
        await using var command = Command(
            $"select seq_id, id, stream_id, version, timestamp, data from {Events} where stream_id = $1 and type in {PublishedEvent.StoredTypes}"
            + " and version <= $2 and timestamp <= $3 order by version",
            stream, version ?? long.MaxValue, at ?? DateTimeOffset.MaxValue);
        return await ReadAsync(command, ct);
    }

    /// <summary>The events with these ids, in the order of the ids.</summary>
    public async Task<List<StoredEvent>> FindByIdsAsync(Guid[] ids, CancellationToken ct)
    {
        await using var command = Command(
            $"select seq_id, id, stream_id, version, timestamp, data from {Events} where id = any($1) and type in {PublishedEvent.StoredTypes}", ids);
        var found = (await ReadAsync(command, ct)).ToDictionary(e => e.Id);
        return ids.Where(found.ContainsKey).Select(id => found[id]).ToList();
    }

    /// <summary>The stream's current version, or null when no such stream exists.</summary>
    public async Task<long?> StreamVersionAsync(string stream, CancellationToken ct)
    {
        await using var command = Command($"select version from {Streams} where id = $1 and version > 0", stream);
        return await command.ExecuteScalarAsync(ct) is long version ? version : null;
    }

    public async Task<List<StoredEvent>> StreamEventsAsync(string stream, long fromVersion, int take, CancellationToken ct)
    {
        await using var command = Command($"select seq_id, id, stream_id, version, timestamp, data from {Events} where stream_id = $1 and version >= $2 and type in {PublishedEvent.StoredTypes} order by version limit $3", stream, fromVersion, take);
        return await ReadAsync(command, ct);
    }

    private NpgsqlCommand Command(string sql, params object[] parameters)
    {
        // A data source command borrows a pooled connection for its one execution.
        var command = database.DataSource.CreateCommand(sql);
        foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    private static async Task<List<StoredEvent>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            using var data = JsonDocument.Parse(reader.GetString(5));
            var body = data.RootElement;
            events.Add(new StoredEvent(
                reader.GetInt64(0),
                reader.GetGuid(1),
                body.GetProperty("action").GetString()!,
                reader.GetString(2),
                reader.GetInt64(3),
                body.TryGetProperty("schema_version", out var schemaVersion) ? schemaVersion.GetInt32() : 1,
                reader.GetFieldValue<DateTimeOffset>(4),
                body.GetProperty("payload").Clone()));
        }
        return events;
    }
}
