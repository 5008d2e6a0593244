using System.Text.Json;
using System.Text.RegularExpressions;

namespace Amebo.Platform.Actions;

/// <summary>A registered event type: its owning application, JSON Schema and stream pointer.</summary>
public sealed class ActionDefinition
{
    /// <summary>The action's name, e.g. <c>user.created</c>.</summary>
    public required string Id { get; init; }
    public required string Application { get; init; }
    public required int Version { get; init; }
    public required JsonElement Schemata { get; init; }

    /// <summary>JSON Pointer into the payload naming the entity the event belongs to.</summary>
    public required string Stream { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

public sealed record ActionView(string Action, string Application, int Version, JsonElement Schemata, string Stream, DateTimeOffset CreatedAt)
{
    public static ActionView From(ActionDefinition action) =>
        new(action.Id, action.Application, action.Version, action.Schemata, action.Stream, action.CreatedAt);
}

public static partial class ActionNames
{
    public const string DefaultStream = "/id";

    /// <summary>Dot-separated lowercase segments, at least two; the first is the category.</summary>
    public static bool IsValid(string? name) => name is { Length: <= 127 } && Pattern().IsMatch(name);

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
