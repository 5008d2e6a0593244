using Amebo.Platform.Hosting;
using Testcontainers.PostgreSql;

namespace Amebo.Tests.Fixtures;

/// <summary>
/// The real PostgreSQL the suite runs against: <c>AMEBO_TEST_DSN</c> when set, else a Testcontainers
/// server when a Docker engine answers, else the same embedded PostgreSQL Amebo itself starts.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly Func<ValueTask> _stop;

    private TestDatabase(string connectionString, string source, Func<ValueTask> stop)
    {
        ConnectionString = connectionString;
        Source = source;
        _stop = stop;
    }

    public string ConnectionString { get; }
    public string Source { get; }

    public static async Task<TestDatabase> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("AMEBO_TEST_DSN") is { Length: > 0 } dsn)
        {
            return new TestDatabase(AmeboDatabase.ToConnectionString(dsn), "AMEBO_TEST_DSN", () => ValueTask.CompletedTask);
        }

        if (DockerAnswers())
        {
            var container = new PostgreSqlBuilder("postgres:16-alpine").Build();
            await container.StartAsync();
            return new TestDatabase(container.GetConnectionString(), "Testcontainers", container.DisposeAsync);
        }

        var dataDir = Path.Combine(Path.GetTempPath(), $"amebo-tests-{Guid.NewGuid():N}");
        var embedded = await EmbeddedPostgres.StartAsync(dataDir);
        return new TestDatabase(embedded.ConnectionString, "embedded PostgreSQL", async () =>
        {
            await embedded.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        });
    }

    private static bool DockerAnswers()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 }) return true;
        const string socket = "/var/run/docker.sock";
        if (!File.Exists(socket)) return false;
        try
        {
            using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            client.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => _stop();
}
