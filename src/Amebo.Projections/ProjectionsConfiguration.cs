using JasperFx.Events.Projections;
using Marten;

namespace Amebo.Projections;

/// <summary>A projection Amebo serves: its name, lifecycle and the document type it keeps.</summary>
public sealed record ProjectionDescriptor(string Name, ProjectionLifecycle Lifecycle, Type DocumentType, string KeyPrefix);

public static class ProjectionsConfiguration
{
    /// <summary>Every projection, with its lifecycle. The read-model API serves exactly these.</summary>
    public static readonly IReadOnlyList<ProjectionDescriptor> All =
    [
        new(UserProfileProjection.ProjectionName, ProjectionLifecycle.Inline, typeof(UserProfile), UserProfileProjection.Category + ":"),
        new(ActionStatsProjection.ProjectionName, ProjectionLifecycle.Async, typeof(ActionStats), ""),
    ];

    /// <summary>
    /// The one place that lists Amebo's event types and every projection with its lifecycle.
    /// </summary>
    public static StoreOptions AddAmeboProjections(this StoreOptions options)
    {
        options.Events.MapEventType<PublishedEvent>(PublishedEvent.Alias);
        options.Events.MapEventType<UserEvent>(UserEvent.Alias);
        options.Projections.Add<UserProfileProjection>(ProjectionLifecycle.Inline);
        options.Projections.Add<ActionStatsProjection>(ProjectionLifecycle.Async);
        options.Schema.For<UserProfile>().DocumentAlias("user_profile");
        options.Schema.For<ActionStats>().DocumentAlias("action_stats");
        return options;
    }
}
