using Marten;

namespace Amebo.Projections;

public static class ProjectionsConfiguration
{
    /// <summary>
    /// The one place that lists Amebo's event type and every projection with its lifecycle.
    /// </summary>
    public static StoreOptions AddAmeboProjections(this StoreOptions options)
    {
        options.Events.MapEventType<PublishedEvent>(PublishedEvent.Alias);
        return options;
    }
}
