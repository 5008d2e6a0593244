using Alba;
using Amebo.Platform.Actions;
using JasperFx.CommandLine;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Wolverine;

namespace Amebo.Tests.Fixtures;

/// <summary>One Amebo host and one database for the whole run; each test starts from empty data.</summary>
public sealed class AmeboFixture : IAsyncLifetime
{
    private TestDatabase? _database;

    public IAlbaHost Host { get; private set; } = null!;
    public string ConnectionString => _database!.ConnectionString;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.StartAsync();
        Environment.SetEnvironmentVariable("AMEBO_DSN", _database.ConnectionString);
        JasperFxEnvironment.AutoStartHost = true;
        Host = await AlbaHost.For<Program>(x => x.ConfigureServices(services =>
        {
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
        }));
    }

    public async Task ResetAsync()
    {
        await Host.ResetAllMartenDataAsync();
        Host.Services.GetRequiredService<ActionCatalog>().Clear();
    }

    public Api Api() => new(Host.Server.CreateClient(), this);

    public async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Environment.SetEnvironmentVariable("AMEBO_DSN", null);
        if (_database is not null) await _database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AmeboCollection : ICollectionFixture<AmeboFixture>
{
    public const string Name = "amebo";
}

/// <summary>Base for tests against the shared host: data is wiped before each test, never after.</summary>
[Collection(AmeboCollection.Name)]
public abstract class AmeboTest(AmeboFixture fixture) : IAsyncLifetime
{
    protected AmeboFixture Fixture { get; } = fixture;
    protected Api Api { get; } = fixture.Api();

    public Task InitializeAsync() => Fixture.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    protected Task<long> StoredEvents() => Fixture.CountAsync("select count(*) from amebo.mt_events");
    protected Task<long> StoredStreams() => Fixture.CountAsync("select count(*) from amebo.mt_streams");
    protected Task<long> StoredApplications() => Fixture.CountAsync("select count(*) from amebo.mt_doc_application");
    protected Task<long> StoredActions() => Fixture.CountAsync("select count(*) from amebo.mt_doc_action");
}
