using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amebo.Platform.Events;
using Amebo.Platform.Hosting;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Entities;

/// <summary>An entity's state folded from its stream, as of <c>version</c> (its last event's version).</summary>
public sealed record EntityView(string Stream, string Category, string Key, long Version, DateTimeOffset UpdatedAt, JsonNode? State);

/// <summary>The events an entity read folds, or the problem that refuses the read.</summary>
public sealed record EntityHistory(ProblemDetails Problem, IReadOnlyList<StoredEvent> Events);

public static partial class GetEntityEndpoint
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Category();

    public static async Task<EntityHistory> LoadAsync(
        string category, string key, long? version, DateTimeOffset? at, EventReader events, CancellationToken ct)
    {
        if (version is < 1) return Refused(Problems.BadRequest("version must be 1 or more."));
        var stream = $"{category}:{key}";
        if (!Category().IsMatch(category) || stream.Length > EventCheck.MaxStreamLength)
        {
            return Refused(Problems.NotFound($"No entity '{key}' of category '{category}' exists."));
        }

        var history = await events.StreamUntilAsync(stream, version, at, ct);
        if (history.Count > 0 && (version is null || history[^1].Version == version)) return new EntityHistory(WolverineContinue.NoProblems, history);

        var current = await events.StreamVersionAsync(stream, ct);
        return Refused(current switch
        {
            null => Problems.NotFound($"No entity '{key}' of category '{category}' exists."),
            _ when version > current => Problems.NotFound($"Entity '{stream}' has {current} versions, not {version}."),
            _ => Problems.NotFound($"Entity '{stream}' did not exist yet at {JsonConventions.Format(at!.Value)}."),
        });
    }

    public static ProblemDetails Validate(EntityHistory history) => history.Problem;

    /// <summary><c>?version=N</c> and/or <c>?at=RFC 3339</c> travel back in time; without them, the current state.</summary>
    [WolverineGet("/v1/entities/{category}/{key}", OperationId = "GetEntity")]
    public static Data<EntityView> Get(string category, string key, EntityHistory history)
    {
        JsonNode? state = new JsonObject();
        foreach (var e in history.Events) state = MergePatch.Apply(state, JsonSerializer.SerializeToNode(e.Payload));
        var last = history.Events[^1];
        return new Data<EntityView>(new EntityView(last.Stream, category, key, last.Version, last.Timestamp, state));
    }

    private static EntityHistory Refused(ProblemDetails problem) => new(problem, []);
}
