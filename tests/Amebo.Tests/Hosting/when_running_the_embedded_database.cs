using Amebo.Platform.Hosting;
using Npgsql;

namespace Amebo.Tests.Hosting;

/// <summary>The embedded PostgreSQL Amebo starts when AMEBO_DSN is unset, each test in its own data directory.</summary>
public sealed class when_running_the_embedded_database : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"amebo-embedded-{Guid.NewGuid():N}");

    private static async Task<object?> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task keeps_its_data_across_a_restart()
    {
        await using (var first = await EmbeddedPostgres.StartAsync(_dataDir))
        {
            await Scalar(first.ConnectionString, "create table kept (note text); insert into kept values ('still here')");
        }

        await using var second = await EmbeddedPostgres.StartAsync(_dataDir);
        (await Scalar(second.ConnectionString, "select note from kept")).ShouldBe("still here");
        new NpgsqlConnectionStringBuilder(second.ConnectionString).Host.ShouldBe("127.0.0.1");
    }

    [Fact]
    public async Task stops_the_server_when_disposed()
    {
        var server = await EmbeddedPostgres.StartAsync(_dataDir);
        var connectionString = server.ConnectionString;

        await server.DisposeAsync();

        File.Exists(Path.Combine(_dataDir, "postgres", "postmaster.pid")).ShouldBeFalse();
        await Should.ThrowAsync<NpgsqlException>(() => Scalar(connectionString + ";Timeout=2", "select 1"));
    }

    [Fact]
    public async Task recovers_from_a_stale_lock_file_left_by_a_crash()
    {
        await (await EmbeddedPostgres.StartAsync(_dataDir)).DisposeAsync();
        // A crash leaves postmaster.pid behind, naming a process that is gone (or is no longer postgres).
        var pidFile = Path.Combine(_dataDir, "postgres", "postmaster.pid");
        await File.WriteAllTextAsync(pidFile, $"{Environment.ProcessId}\n{_dataDir}/postgres\n1700000000\n5999\n\n127.0.0.1\n  1 1\nready\n");

        await using var server = await EmbeddedPostgres.StartAsync(_dataDir);

        (await Scalar(server.ConnectionString, "select 1")).ShouldBe(1);
    }

    [Fact]
    public async Task takes_over_a_server_left_running_by_a_killed_process()
    {
        // The first owner "dies" without stopping its server.
        var orphaned = await EmbeddedPostgres.StartAsync(_dataDir);

        await using var server = await EmbeddedPostgres.StartAsync(_dataDir);

        server.ConnectionString.ShouldBe(orphaned.ConnectionString);
        (await Scalar(server.ConnectionString, "select 1")).ShouldBe(1);
    }

    [Fact]
    public void names_both_ways_out_when_there_are_no_binaries()
    {
        EmbeddedPostgres.FindBinaries("", Path.Combine(_dataDir, "nowhere")).ShouldBeNull();
        EmbeddedPostgres.MissingBinaries.ShouldContain("AMEBO_DSN");
        EmbeddedPostgres.MissingBinaries.ShouldContain("install the PostgreSQL server binaries");
    }

    [Fact]
    public void finds_the_machines_binaries()
    {
        var found = EmbeddedPostgres.FindBinaries(Environment.GetEnvironmentVariable("PATH") ?? "", "/usr/lib/postgresql");

        found.ShouldNotBeNull();
        File.Exists(Path.Combine(found, "initdb")).ShouldBeTrue();
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }
}
