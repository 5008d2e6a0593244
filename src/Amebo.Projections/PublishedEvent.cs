using System.Text.Json;

namespace Amebo.Projections;

/// <summary>
/// The one event type Amebo stores: an occurrence of a registered action. Actions are defined at
/// runtime, so the action name travels inside the event rather than in its CLR type.
/// </summary>
public sealed record PublishedEvent(string Action, JsonElement Payload, int SchemaVersion)
{
    /// <summary>The alias Marten stores in the event type column.</summary>
    public const string Alias = "amebo_event";

    /// <summary>The first dot-separated segment of an action name, e.g. <c>user</c> for <c>user.created</c>.</summary>
    public static string CategoryOf(string action)
    {
        var dot = action.IndexOf('.');
        return dot < 0 ? action : action[..dot];
    }
}
