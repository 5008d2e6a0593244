using Npgsql;

namespace Amebo.Platform.Hosting;

/// <summary>
/// The PostgreSQL Amebo stores everything in: the server named by <c>AMEBO_DSN</c>, or the embedded
/// one started from the local binaries. Disposing it stops the embedded server.
/// </summary>
public sealed class AmeboDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _embedded;

    private AmeboDatabase(string connectionString, EmbeddedPostgres? embedded)
    {
        ConnectionString = connectionString;
        // Statements Amebo runs on every publish (the append, the key and gist inserts) are
        // prepared once per connection instead of parsed and planned each time, unless AMEBO_DSN
        // chooses otherwise.
        var pool = new NpgsqlConnectionStringBuilder(connectionString);
        if (pool.MaxAutoPrepare == 0) pool.MaxAutoPrepare = 64;
        DataSource = NpgsqlDataSource.Create(pool.ConnectionString);
        _embedded = embedded;
    }

    public string ConnectionString { get; }

    /// <summary>The one connection pool: Marten and Amebo's own queries share it.</summary>
    public NpgsqlDataSource DataSource { get; }

    public bool IsEmbedded => _embedded is not null;

    public static async Task<AmeboDatabase> OpenAsync(AmeboSettings settings, CancellationToken ct = default)
    {
        if (settings.Dsn is { } dsn)
        {
            var connectionString = ToConnectionString(dsn);
            await WaitForServerAsync(connectionString, ct);
            return new AmeboDatabase(connectionString, null);
        }

        var embedded = await EmbeddedPostgres.StartAsync(settings.DataDir, ct);
        return new AmeboDatabase(embedded.ConnectionString, embedded);
    }

    /// <summary>
    /// A server that is still starting (as in a compose file) gets a few seconds; one that stays
    /// unreachable stops Amebo with a message naming it rather than a stack trace.
    /// </summary>
    private static async Task WaitForServerAsync(string connectionString, CancellationToken ct)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                if (e is PostgresException || attempt == 6)
                {
                    throw new DatabaseUnavailableException(
                        $"Amebo cannot use the PostgreSQL server named by AMEBO_DSN ({target.Host}:{target.Port}): " +
                        $"{e.Message.TrimEnd('.')}. Check AMEBO_DSN, or unset it to use the embedded database.");
                }
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    /// <summary>Accepts an Npgsql connection string or a <c>postgres://user:password@host:port/database?option=value</c> URL.</summary>
    public static string ToConnectionString(string dsn)
    {
        if (!dsn.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !dsn.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(dsn).ConnectionString;
            }
            catch (ArgumentException e)
            {
                throw new InvalidSettingException($"AMEBO_DSN is not a valid connection string: {e.Message}");
            }
        }

        if (!Uri.TryCreate(dsn, UriKind.Absolute, out var url) || string.IsNullOrEmpty(url.Host))
        {
            throw new InvalidSettingException("AMEBO_DSN is not a valid postgres:// URL.");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.IsDefaultPort || url.Port < 0 ? 5432 : url.Port,
        };
        var database = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;

        var userInfo = url.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length > 1) builder.Password = Uri.UnescapeDataString(userInfo[1]);

        foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(parts[0]);
            var value = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
            try
            {
                builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
            }
            catch (ArgumentException)
            {
                throw new InvalidSettingException($"AMEBO_DSN names an unknown connection option '{key}'.");
            }
        }

        return builder.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_embedded is not null) await _embedded.DisposeAsync();
    }
}
