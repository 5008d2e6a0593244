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
    public static IServiceCollection AddAmeboStore(this IServiceCollection services, AmeboDatabase database, bool autoMigrate = true)
    {
        // Registered through a factory so that the container owns it: disposing the host stops the
        // embedded server after everything that uses it.
        services.AddSingleton(_ => database);

        var marten = services.AddMarten(sp =>
            {
                var options = new StoreOptions();
                options.Connection(sp.GetRequiredService<AmeboDatabase>().DataSource);
                options.DatabaseSchemaName = Schema;
                options.Events.DatabaseSchemaName = Schema;
                options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.SnakeCase);
                options.Events.StreamIdentity = StreamIdentity.AsString;
                // Quick appends let the database assign stream versions; the timestamps come from Amebo's clock.
                options.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
                // Deliveries, idempotency replays and gist listings read events by id.
                options.Events.EnableUniqueIndexOnEventId = true;
                // Amebo's index of events by action (see AmeboSchema): Marten's migrations leave it be.
                options.Events.IgnoreIndex(AmeboSchema.ActionIndex);
                // With AMEBO_AUTO_MIGRATE=false the schema is created only by `db-apply`.
                options.AutoCreateSchemaObjects = autoMigrate ? AutoCreate.CreateOrUpdate : AutoCreate.None;

                options.Schema.For<Application>().DocumentAlias("application");
                options.Schema.For<ActionDefinition>().DocumentAlias("action");
                options.Schema.For<ActionVersion>().DocumentAlias("action_version").Index(v => v.Action);
                options.Schema.For<Subscriptions.Subscription>().DocumentAlias("subscription").Index(s => s.Action);
                options.AddAmeboProjections();
                return options;
            })
            .IntegrateWithWolverine()
            // One Amebo process runs the async projections; several need HotCold (see docs/event-sourcing.md).
            .AddAsyncDaemon(JasperFx.Events.Daemon.DaemonMode.Solo);
        if (autoMigrate)
        {
            marten.ApplyAllDatabaseChangesOnStartup();
            services.AddHostedService<AmeboSchema>();
        }
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
    public const string ActionIndex = "mt_events_action_seq";

    public async Task StartAsync(CancellationToken ct)
    {
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(IEvent), ct);
        await ApplyAsync(store, ct);
    }

    /// <summary>Creates what is missing of Amebo's own tables and indexes (every statement is idempotent).</summary>
    public static async Task ApplyAsync(IDocumentStore store, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            create index if not exists {ActionIndex} on {StoreConfiguration.Schema}.mt_events ((data->>'action'), seq_id);
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

    /// <summary>
    /// What is missing or out of date: Marten's tables and functions, and Amebo's own; empty when
    /// the schema is in place. Used at start when AMEBO_AUTO_MIGRATE=false.
    /// </summary>
    public static async Task<List<string>> MissingAsync(IDocumentStore store, CancellationToken ct)
    {
        var missing = new List<string>();
        var migration = await store.Storage.Database.CreateMigrationAsync(ct);
        if (migration.Difference != Weasel.Core.SchemaPatchDifference.None)
        {
            missing.AddRange(migration.Deltas.Where(d => d.Difference != Weasel.Core.SchemaPatchDifference.None).Select(d => d.SchemaObject.Identifier.QualifiedName));
        }
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            select name from (values ('{IdempotencyTable}'), ('{GistTable}'), ('{StoreConfiguration.Schema}.{ActionIndex}')) as t(name)
            where to_regclass(name) is null
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) missing.Add(reader.GetString(0));
        return missing;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
