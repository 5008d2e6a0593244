using JasperFx.Events;
using Marten.Events.Projections;

namespace Amebo.Projections;

/// <summary>How often one action occurred: counts, first and last positions and times, and counts per UTC day.</summary>
public sealed class ActionStats
{
    /// <summary>The action's name.</summary>
    public string Id { get; set; } = "";

    public long Count { get; set; }
    public long FirstRowid { get; set; }
    public long LastRowid { get; set; }
    public DateTimeOffset FirstAt { get; set; }
    public DateTimeOffset LastAt { get; set; }

    /// <summary>Event counts keyed by UTC date (<c>yyyy-MM-dd</c>).</summary>
    public SortedDictionary<string, long> PerDay { get; set; } = [];
}

/// <summary>One document per action, across every stream; kept by the async daemon.</summary>
public sealed class ActionStatsProjection : MultiStreamProjection<ActionStats, string>
{
    public const string ProjectionName = "action-stats";

    public ActionStatsProjection()
    {
        Name = ProjectionName;
        Identity<PublishedEvent>(e => e.Action);
    }

    public override ActionStats? Evolve(ActionStats? snapshot, string id, IEvent e)
    {
        var stats = snapshot ?? new ActionStats { Id = id, FirstRowid = e.Sequence, FirstAt = e.Timestamp };
        stats.Count++;
        stats.FirstRowid = Math.Min(stats.FirstRowid, e.Sequence);
        stats.LastRowid = Math.Max(stats.LastRowid, e.Sequence);
        if (e.Timestamp < stats.FirstAt) stats.FirstAt = e.Timestamp;
        if (e.Timestamp > stats.LastAt) stats.LastAt = e.Timestamp;
        var day = e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        stats.PerDay[day] = stats.PerDay.GetValueOrDefault(day) + 1;
        return stats;
    }
}
