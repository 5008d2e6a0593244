using Npgsql;

namespace Amebo.Bench;

/// <summary>
/// What the machine can do without Amebo, measured in the same run: PostgreSQL committing one event
/// row plus its stream row per transaction, and a trivial Kestrel endpoint.
/// </summary>
public static class Floors
{
    public static async Task PrepareAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            create schema if not exists bench_floor;
            create table if not exists bench_floor.streams (id text primary key, version bigint not null);
            create table if not exists bench_floor.events (seq_id bigserial primary key, id uuid not null, stream_id text not null,
                version bigint not null, data jsonb not null, timestamp timestamptz not null);
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One connection per worker; each operation is one transaction in one round trip.</summary>
    public static async Task<LoadResult> PostgresAsync(string connectionString, int workers, TimeSpan duration)
    {
        var connections = new NpgsqlConnection[workers];
        for (var i = 0; i < workers; i++)
        {
            connections[i] = new NpgsqlConnection(connectionString);
            await connections[i].OpenAsync();
        }
        try
        {
            return await Load.ClosedLoopAsync(workers, duration, async (w, n) =>
            {
                var stream = $"floor:{w}:{n}:{Guid.NewGuid():N}";
                await using var batch = new NpgsqlBatch(connections[w])
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand("insert into bench_floor.streams (id, version) values ($1, 1) on conflict (id) do update set version = bench_floor.streams.version + 1")
                            { Parameters = { new() { Value = stream } } },
                        new NpgsqlBatchCommand("insert into bench_floor.events (id, stream_id, version, data, timestamp) values ($1, $2, 1, $3::jsonb, now())")
                            { Parameters = { new() { Value = Guid.CreateVersion7() }, new() { Value = stream }, new() { Value = """{"action":"bench.created","payload":{"id":"x","email":"a@example.com"}}""" } } },
                    },
                };
                await batch.ExecuteNonQueryAsync();
                return true;
            });
        }
        finally
        {
            foreach (var connection in connections) await connection.DisposeAsync();
        }
    }

    public static async Task<LoadResult> KestrelAsync(int workers, TimeSpan duration)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapPost("/floor", () => Results.Text("{\"ok\":true}", "application/json"));
        await app.StartAsync();
        var address = app.Urls.First();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = workers }) { BaseAddress = new Uri(address) };
        return await Load.ClosedLoopAsync(workers, duration, async (_, _) =>
        {
            using var answer = await client.PostAsync("/floor", AmeboServer.Json("""{"action":"bench.created","payload":{"id":"x"}}"""));
            return answer.IsSuccessStatusCode;
        });
    }
}
