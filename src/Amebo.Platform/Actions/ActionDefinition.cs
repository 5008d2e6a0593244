using System.Text.Json;
using System.Text.RegularExpressions;

namespace Amebo.Platform.Actions;

/// <summary>
/// A registered event type as it is now: its owning application, the latest version of its JSON
/// Schema, its stream pointer and compatibility mode. Every version is also kept as an
/// <see cref="ActionVersion"/>.
/// </summary>
public sealed class ActionDefinition
{
    /// <summary>The action's name, e.g. <c>user.created</c>.</summary>
    public required string Id { get; init; }
    public required string Application { get; init; }
    public required int Version { get; init; }
    public required JsonElement Schemata { get; init; }

    /// <summary>JSON Pointer into the payload naming the entity the event belongs to.</summary>
    public required string Stream { get; init; }

    /// <summary>How a new schema must relate to the earlier ones (see <see cref="Actions.Compatibility"/>).</summary>
    public string Compatibility { get; init; } = Actions.Compatibility.Default;

    /// <summary>When this version was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    public ActionVersion ToVersion() => new()
    {
        Id = ActionVersion.IdOf(Id, Version),
        Action = Id,
        Application = Application,
        Version = Version,
        Schemata = Schemata,
        Stream = Stream,
        Compatibility = Compatibility,
        CreatedAt = CreatedAt,
    };
}

/// <summary>One version of an action's schema, kept for as long as the action exists.</summary>
public sealed class ActionVersion
{
    /// <summary><c>{action}@{version}</c>: a second writer of the same version fails to insert it.</summary>
    public required string Id { get; init; }
    public required string Action { get; init; }
    public required string Application { get; init; }
    public required int Version { get; init; }
    public required JsonElement Schemata { get; init; }
    public required string Stream { get; init; }
    public required string Compatibility { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    public static string IdOf(string action, int version) => $"{action}@{version}";
}

public sealed record ActionView(string Action, string Application, int Version, JsonElement Schemata, string Stream, string Compatibility, DateTimeOffset CreatedAt)
{
    public static ActionView From(ActionDefinition action) =>
        new(action.Id, action.Application, action.Version, action.Schemata, action.Stream, action.Compatibility, action.CreatedAt);

    public static ActionView From(ActionVersion version) =>
        new(version.Action, version.Application, version.Version, version.Schemata, version.Stream, version.Compatibility, version.CreatedAt);
}

public static partial class ActionNames
{
    public const string DefaultStream = "/id";

    /// <summary>Dot-separated lowercase segments, at least two; the first is the category.</summary>
    public static bool IsValid(string? name) => name is { Length: <= 127 } && Pattern().IsMatch(name);

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
