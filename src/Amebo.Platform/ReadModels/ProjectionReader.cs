using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Amebo.Platform.Hosting;
using Amebo.Projections;
using JasperFx.Events.Projections;
using Npgsql;

namespace Amebo.Platform.ReadModels;

/// <summary>Where a projection stands: what it has processed, what exists to process, and what it is doing.</summary>
public sealed record ProjectionStatus(
    string Name, string Lifecycle, long Position, long HighWaterMark, long Lag, string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Processed = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Total = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Percent = null);

/// <summary>
/// Reads projection documents and positions with plain SQL over Marten's tables, and shapes each
/// document the way the API shows it (a profile's fields at the top level, stats by action).
/// </summary>
public sealed class ProjectionReader(AmeboDatabase database, Rebuilds rebuilds)
{
    private const string Schema = StoreConfiguration.Schema;

    public static ProjectionDescriptor? Find(string name) => ProjectionsConfiguration.All.FirstOrDefault(p => p.Name == name);

    private static string TableOf(ProjectionDescriptor projection) =>
        projection.DocumentType == typeof(UserProfile) ? $"{Schema}.mt_doc_user_profile" : $"{Schema}.mt_doc_action_stats";

    public async Task<ProjectionStatus> StatusAsync(ProjectionDescriptor projection, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand($"""
            select
              coalesce((select last_seq_id from {Schema}.mt_event_progression where name = 'HighWaterMark'), 0),
              coalesce((select max(seq_id) from {Schema}.mt_events), 0),
              coalesce((select last_seq_id from {Schema}.mt_event_progression where name = $1), 0)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = projection.Name + ":All" });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var highWaterMark = Math.Max(reader.GetInt64(0), reader.GetInt64(1));
        // An inline projection is written in the same transaction as its events: it is always current.
        var position = projection.Lifecycle == ProjectionLifecycle.Inline ? highWaterMark : reader.GetInt64(2);

        var rebuild = rebuilds.Progress(projection.Name);
        if (rebuild is not null)
        {
            return new ProjectionStatus(projection.Name, Lifecycle(projection), rebuild.Processed, highWaterMark, Math.Max(0, highWaterMark - rebuild.Processed),
                "rebuilding", rebuild.Processed, rebuild.Total, rebuild.Percent);
        }
        var status = rebuilds.Failure(projection.Name) is null ? "running" : "failed";
        return new ProjectionStatus(projection.Name, Lifecycle(projection), position, highWaterMark, Math.Max(0, highWaterMark - position), status);
    }

    public async Task<JsonObject?> DocumentAsync(ProjectionDescriptor projection, string id, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand($"select data from {TableOf(projection)} where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = projection.KeyPrefix + id });
        return await command.ExecuteScalarAsync(ct) is string data ? Shape(projection, data) : null;
    }

    /// <summary>Documents in key order after <paramref name="after"/>, whose top-level fields equal the filters (as text).</summary>
    public async Task<List<(string Key, JsonObject Document)>> ListAsync(
        ProjectionDescriptor projection, IReadOnlyList<KeyValuePair<string, string>> filters, string? after, int take, CancellationToken ct)
    {
        var sql = new System.Text.StringBuilder($"select id, data from {TableOf(projection)} where id > $1 and id like $2");
        var parameters = new List<object> { projection.KeyPrefix + (after ?? ""), projection.KeyPrefix.Replace("%", "\\%") + "%" };
        foreach (var (field, value) in filters)
        {
            // Field names and values travel as parameters; the SQL text comes from fixed fragments.
            var location = FieldLocation(projection, field);
            if (location.IsId)
            {
                parameters.Add(projection.KeyPrefix + value);
                sql.Append($" and id = ${parameters.Count}");
                continue;
            }
            parameters.Add(location.Name);
            parameters.Add(value);
            sql.Append(location.InFields
                ? $" and data->'fields'->>${parameters.Count - 1} = ${parameters.Count}"
                : $" and data->>${parameters.Count - 1} = ${parameters.Count}");
        }
        parameters.Add(take);
        sql.Append($" order by id limit ${parameters.Count}");

        await using var command = database.DataSource.CreateCommand(sql.ToString());
        foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value });
        var rows = new List<(string, JsonObject)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetString(0)[projection.KeyPrefix.Length..], Shape(projection, reader.GetString(1))));
        }
        return rows;
    }

    /// <summary>Where a field the API shows lives in the stored document.</summary>
    private static (string Name, bool InFields, bool IsId) FieldLocation(ProjectionDescriptor projection, string field) =>
        projection.DocumentType == typeof(UserProfile)
            ? field switch { "version" => ("stream_version", false, false), "updated_at" => (field, false, false), _ => (field, true, false) }
            : field == "action" ? (field, false, true) : (field, false, false);

    private static JsonObject Shape(ProjectionDescriptor projection, string data)
    {
        var stored = JsonNode.Parse(data)!.AsObject();
        if (projection.DocumentType != typeof(UserProfile))
        {
            var stats = new JsonObject { ["action"] = stored["id"]?.DeepClone() };
            foreach (var (name, value) in stored.Where(p => p.Key != "id")) stats[name] = name.EndsWith("_at", StringComparison.Ordinal) ? Timestamp(value) : value?.DeepClone();
            return stats;
        }

        var profile = new JsonObject();
        if (stored["fields"] is JsonObject fields)
        {
            foreach (var (name, value) in fields) profile[name] = value?.DeepClone();
        }
        profile["version"] = stored["stream_version"]?.DeepClone();
        profile["updated_at"] = Timestamp(stored["updated_at"]);
        return profile;
    }

    /// <summary>Stored timestamps in the API's RFC 3339 UTC form.</summary>
    private static JsonNode? Timestamp(JsonNode? stored) =>
        stored?.GetValueKind() == JsonValueKind.String && DateTimeOffset.TryParse(stored.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? JsonConventions.Format(at)
            : stored?.DeepClone();

    private static string Lifecycle(ProjectionDescriptor projection) => projection.Lifecycle == ProjectionLifecycle.Inline ? "inline" : "async";
}
