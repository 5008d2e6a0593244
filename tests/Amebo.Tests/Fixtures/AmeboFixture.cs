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

    /// <summary>Everything the host logged during the run.</summary>
    public LogCapture Logs { get; } = new();
    public string ConnectionString => _database!.ConnectionString;

    public const string AdminSecret = "the-administrators-test-secret";
    public const string JwtKey = "a-test-signing-key-that-is-long-enough-for-hs256";

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"amebo-fixture-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.StartAsync();
        Environment.SetEnvironmentVariable("AMEBO_DSN", _database.ConnectionString);
        Environment.SetEnvironmentVariable("AMEBO_DATA_DIR", _dataDir);
        Environment.SetEnvironmentVariable("AMEBO_ADMIN_SECRET", AdminSecret);
        Environment.SetEnvironmentVariable("AMEBO_JWT_KEY", JwtKey);
        Environment.SetEnvironmentVariable("AMEBO_WAIT_TIMEOUT", "3s");
        Environment.SetEnvironmentVariable("AMEBO_RETRY_SCHEDULE", "0.2s,0.4s");
        Environment.SetEnvironmentVariable("AMEBO_DELIVERY_TIMEOUT", "2s");
        JasperFxEnvironment.AutoStartHost = true;
        Host = await AlbaHost.For<Program>(x => x.ConfigureServices(services =>
        {
            services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Logs);
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
        }));
    }

    public async Task ResetAsync()
    {
        await Host.ResetAllMartenDataAsync();
        await CountAsync("with gone as (delete from amebo.idempotency_keys returning 1) select count(*) from gone");
        await CountAsync("with gone as (delete from amebo.gists returning 1) select count(*) from gone");
        Host.Services.GetRequiredService<Amebo.Platform.Subscriptions.SubscriptionCatalog>().Clear();
        Host.Services.GetRequiredService<ActionCatalog>().Clear();
        Host.Services.GetRequiredService<Amebo.Platform.Tokens.SecretStamps>().Clear();
    }

    /// <summary>A client with no token.</summary>
    public Api Anonymous() => new(Host.Server.CreateClient(), this);

    /// <summary>A client holding the administrator's token.</summary>
    public async Task<Api> Administrator() => await Anonymous().WithTokenFor("amebo", AdminSecret);

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
        foreach (var key in new[] { "AMEBO_DSN", "AMEBO_DATA_DIR", "AMEBO_ADMIN_SECRET", "AMEBO_JWT_KEY", "AMEBO_WAIT_TIMEOUT", "AMEBO_RETRY_SCHEDULE", "AMEBO_DELIVERY_TIMEOUT" }) Environment.SetEnvironmentVariable(key, null);
        if (_database is not null) await _database.DisposeAsync();
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
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

    /// <summary>The administrator's client: arranging goes through it unless a test is about rights.</summary>
    protected Api Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Fixture.ResetAsync();
        Api = await Fixture.Administrator();
    }
    public Task DisposeAsync() => Task.CompletedTask;

    protected Task<long> StoredEvents() => Fixture.CountAsync("select count(*) from amebo.mt_events where type in ('amebo_event', 'amebo_user_event')");
    protected Task<long> StoredStreams() => Fixture.CountAsync("select count(*) from amebo.mt_streams where version > 0");
    protected Task<long> StoredApplications() => Fixture.CountAsync("select count(*) from amebo.mt_doc_application");
    protected Task<long> StoredActions() => Fixture.CountAsync("select count(*) from amebo.mt_doc_action");
}
