using Prometheus;
using Scalar.AspNetCore;

namespace Amebo.Platform.Hosting;

/// <summary>
/// Amebo's own Prometheus metrics. prometheus-net adds the process and .NET runtime metrics, and
/// the HTTP middleware the request counts and durations.
/// </summary>
public static class AmeboMetrics
{
    public static readonly Counter EventsPublished = Metrics.CreateCounter(
        "amebo_events_published_total", "Events stored, by action.", "action");

    public static readonly Counter SchemaValidationFailures = Metrics.CreateCounter(
        "amebo_schema_validation_failures_total", "Payloads refused because they broke their action's schema, by action.", "action");

    public static readonly Histogram PublishDuration = Metrics.CreateHistogram(
        "amebo_publish_duration_seconds", "Time from a publish request being admitted to its events being committed.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });

    public static readonly Counter Deliveries = Metrics.CreateCounter(
        "amebo_deliveries_total", "Webhook delivery attempts, by outcome (delivered, retry, failed, paused).", "status");

    public static readonly Histogram DeliveryDuration = Metrics.CreateHistogram(
        "amebo_delivery_duration_seconds", "Time a webhook delivery attempt took.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });

    public static readonly Gauge ProjectionLag = Metrics.CreateGauge(
        "amebo_projection_lag_events", "Events stored but not yet processed by the projection.", "projection");

    public static readonly Gauge StoredEvents = Metrics.CreateGauge("amebo_stored_events", "Events in the store.");

    public static readonly Gauge EventTableBytes = Metrics.CreateGauge(
        "amebo_event_table_bytes", "Size of the event table with its indexes, in bytes.");
}

public static class Observability
{
    public static IServiceCollection AddAmeboObservability(this IServiceCollection services)
    {
        services.AddOpenApi(options => options.AddAmeboProblems());
        return services;
    }

    /// <summary>
    /// <c>/openapi/v1.json</c>, the reference page at <c>/docs</c> (its script is served by Amebo, no
    /// CDN) and <c>/metrics</c>; none needs a token.
    /// </summary>
    public static WebApplication MapAmeboObservability(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options.WithTitle("Amebo API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();

        var reader = app.Services.GetRequiredService<ReadModels.ProjectionReader>();
        var database = app.Services.GetRequiredService<AmeboDatabase>();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            foreach (var projection in Projections.ProjectionsConfiguration.All)
            {
                AmeboMetrics.ProjectionLag.WithLabels(projection.Name).Set((await reader.StatusAsync(projection, ct)).Lag);
            }
            await using var command = database.DataSource.CreateCommand(
                $"select (select count(*) from {StoreConfiguration.Schema}.mt_events where type in {Projections.PublishedEvent.StoredTypes}), pg_total_relation_size('{StoreConfiguration.Schema}.mt_events')");
            await using var row = await command.ExecuteReaderAsync(ct);
            await row.ReadAsync(ct);
            AmeboMetrics.StoredEvents.Set(row.GetInt64(0));
            AmeboMetrics.EventTableBytes.Set(row.GetInt64(1));
        });
        app.MapMetrics("/metrics").AllowAnonymous();
        return app;
    }
}
