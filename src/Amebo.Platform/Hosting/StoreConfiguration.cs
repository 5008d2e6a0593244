using Amebo.Platform.Actions;
using Amebo.Platform.Applications;
using Amebo.Projections;
using JasperFx;
using JasperFx.Events;
using Marten;
using Weasel.Core;
using Wolverine.Marten;

namespace Amebo.Platform.Hosting;

public static class StoreConfiguration
{
    public const string Schema = "amebo";

    /// <summary>Marten over the configured or embedded PostgreSQL: documents, the event log and projections.</summary>
    public static IServiceCollection AddAmeboStore(this IServiceCollection services, AmeboDatabase database)
    {
        // Registered through a factory so that the container owns it: disposing the host stops the
        // embedded server after everything that uses it.
        services.AddSingleton(_ => database);

        services.AddMarten(sp =>
            {
                var options = new StoreOptions();
                options.Connection(sp.GetRequiredService<AmeboDatabase>().DataSource);
                options.DatabaseSchemaName = Schema;
                options.Events.DatabaseSchemaName = Schema;
                options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.SnakeCase);
                options.Events.StreamIdentity = StreamIdentity.AsString;
                // Quick appends let the database assign stream versions; the timestamps come from Amebo's clock.
                options.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
                options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;

                options.Schema.For<Application>().DocumentAlias("application");
                options.Schema.For<ActionDefinition>().DocumentAlias("action");
                options.Schema.For<ActionVersion>().DocumentAlias("action_version").Index(v => v.Action);
                options.Schema.For<Subscriptions.Subscription>().DocumentAlias("subscription").Index(s => s.Action);
                options.AddAmeboProjections();
                return options;
            })
            .IntegrateWithWolverine()
            // One Amebo process runs the async projections; several need HotCold (see docs/event-sourcing.md).
            .AddAsyncDaemon(JasperFx.Events.Daemon.DaemonMode.Solo)
            .ApplyAllDatabaseChangesOnStartup();

        services.AddHostedService<AmeboSchema>();
        return services;
    }
}

/// <summary>
/// What Amebo keeps beside Marten's own tables: an index of events by action in position order, and
/// the idempotency keys of publishes.
/// </summary>
public sealed class AmeboSchema(IDocumentStore store) : IHostedService
{
    public const string IdempotencyTable = $"{StoreConfiguration.Schema}.idempotency_keys";
    public const string GistTable = $"{StoreConfiguration.Schema}.gists";

    public async Task StartAsync(CancellationToken ct)
    {
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(IEvent), ct);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            create index if not exists mt_events_action_seq on {StoreConfiguration.Schema}.mt_events ((data->>'action'), seq_id);
            create table if not exists {IdempotencyTable} (
                application text not null,
                key text not null,
                request_hash bytea not null,
                event_ids uuid[] not null,
                created_at timestamptz not null,
                constraint pk_idempotency_keys primary key (application, key));
            create index if not exists idempotency_keys_created_at on {IdempotencyTable} (created_at);
            create table if not exists {GistTable} (
                id uuid primary key,
                subscription_id text not null,
                event_id uuid not null,
                rowid bigint not null default 0,
                status text not null,
                attempts jsonb not null default '[]',
                retries_left int not null,
                next_attempt_at timestamptz not null,
                locked_until timestamptz,
                created_at timestamptz not null);
            create index if not exists gists_due on {GistTable} (next_attempt_at) where status = 'pending';
            create index if not exists gists_by_subscription on {GistTable} (subscription_id, created_at);
            """;
        await command.ExecuteNonQueryAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
