using System.Text.Json;

namespace Amebo.Projections;

/// <summary>
/// An occurrence of a registered action, as stored. Actions are defined at runtime, so the action
/// name travels inside the event rather than in its CLR type. Events appended to streams of the
/// <c>user</c> category are stored as <see cref="UserEvent"/>, so that the inline user-profiles
/// projection (and its rebuilds) only ever see, load and replay the events it folds.
/// </summary>
public record PublishedEvent(string Action, JsonElement Payload, int SchemaVersion)
{
    /// <summary>The alias Marten stores in the event type column.</summary>
    public const string Alias = "amebo_event";

    /// <summary>Every alias an Amebo event is stored under, as a SQL list: <c>type in {StoredTypes}</c>.</summary>
    public const string StoredTypes = "('" + Alias + "', '" + UserEvent.Alias + "')";

    /// <summary>The event to store for an action appended to <paramref name="stream"/>.</summary>
    public static PublishedEvent For(string stream, string action, JsonElement payload, int schemaVersion) =>
        stream.StartsWith(UserEvent.StreamPrefix, StringComparison.Ordinal)
            ? new UserEvent(action, payload, schemaVersion)
            : new PublishedEvent(action, payload, schemaVersion);

    /// <summary>The first dot-separated segment of an action name, e.g. <c>user</c> for <c>user.created</c>.</summary>
    public static string CategoryOf(string action)
    {
        var dot = action.IndexOf('.');
        return dot < 0 ? action : action[..dot];
    }
}

/// <summary>An event of a stream in the <c>user</c> category (<c>user:{id}</c>), whatever its action.</summary>
public sealed record UserEvent(string Action, JsonElement Payload, int SchemaVersion) : PublishedEvent(Action, Payload, SchemaVersion)
{
    public new const string Alias = "amebo_user_event";
    public const string StreamPrefix = UserProfileProjection.Category + ":";
}
