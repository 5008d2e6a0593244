using System.Text.Json;

namespace Amebo.Platform.Actions;

/// <summary>
/// An action's compatibility mode: which earlier versions a new schema is checked against, and
/// which guarantee it must keep. <c>backward</c> (the default): every payload valid under the
/// previous version stays valid. <c>forward</c>: every payload valid under the new version was
/// valid under the previous one. <c>full</c>: both. <c>none</c>: no check. The <c>_transitive</c>
/// forms check against every earlier version instead of the previous one only.
/// </summary>
public sealed record Compatibility(string Name, Breaks Guards, bool Transitive)
{
    public const string Default = "backward";

    public static readonly IReadOnlyList<Compatibility> All =
    [
        new("backward", Breaks.Backward, false),
        new("forward", Breaks.Forward, false),
        new("full", Breaks.Both, false),
        new("none", 0, false),
        new("backward_transitive", Breaks.Backward, true),
        new("forward_transitive", Breaks.Forward, true),
        new("full_transitive", Breaks.Both, true),
    ];

    public static Compatibility? Find(string? name) => All.FirstOrDefault(m => m.Name == (name ?? Default));

    public static string Names => string.Join(", ", All.Select(m => m.Name));

    /// <summary>
    /// The changes that break this mode's guarantee when <paramref name="candidate"/> follows
    /// <paramref name="history"/> (oldest first). Against an earlier version than the latest, the
    /// message names it.
    /// </summary>
    public IReadOnlyList<SchemaChange> Breaking(IReadOnlyList<(int Version, JsonElement Schemata)> history, JsonElement candidate)
    {
        if (Guards == 0 || history.Count == 0) return [];
        var latest = history[^1].Version;
        var against = Transitive ? history : [history[^1]];
        var breaking = new List<SchemaChange>();
        foreach (var (version, schemata) in against)
        {
            foreach (var change in SchemaChanges.Between(schemata, candidate).Where(c => (c.Breaks & Guards) != 0))
            {
                var located = version == latest ? change : change with { Message = $"{change.Message} (against version {version})" };
                if (!breaking.Any(b => b.Pointer == located.Pointer && b.Message == located.Message)) breaking.Add(located);
            }
        }
        return breaking;
    }
}
