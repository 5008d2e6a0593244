using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace Amebo.Platform.Hosting;

/// <summary>
/// A PostgreSQL server that Amebo runs itself from the machine's binaries when no <c>AMEBO_DSN</c>
/// is given. Its cluster lives in <c>{data dir}/postgres</c>, listens on a free loopback port only
/// (no Unix socket), and is protected by a generated password kept in the data directory.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    public const string DatabaseName = "amebo";
    private const string UserName = "amebo";
    private const string ServiceAccount = "postgres";

    private readonly string _binDir;
    private readonly string _clusterDir;
    private readonly bool _asServiceAccount;
    private int _stopped;

    private EmbeddedPostgres(string binDir, string clusterDir, bool asServiceAccount, string connectionString)
    {
        _binDir = binDir;
        _clusterDir = clusterDir;
        _asServiceAccount = asServiceAccount;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public const string MissingBinaries =
        "Amebo found no database: AMEBO_DSN is unset and no PostgreSQL server binaries (initdb, pg_ctl) were found " +
        "on PATH, via pg_config, or under /usr/lib/postgresql/*/bin. Either set AMEBO_DSN to an existing " +
        "PostgreSQL server, or install the PostgreSQL server binaries (e.g. apt-get install postgresql).";

    private const string DebianRoot = "/usr/lib/postgresql";

    /// <summary>
    /// Starts (creating on first use) the cluster under <paramref name="dataDir"/>. A server left
    /// running by a previous process is taken over; a stale <c>postmaster.pid</c> is removed.
    /// </summary>
    public static async Task<EmbeddedPostgres> StartAsync(string dataDir, CancellationToken ct = default)
    {
        var binDir = FindBinaries(Environment.GetEnvironmentVariable("PATH") ?? "", DebianRoot)
            ?? throw new DatabaseUnavailableException(MissingBinaries);

        var root = Path.GetFullPath(dataDir);
        Directory.CreateDirectory(root);
        var clusterDir = Path.Combine(root, "postgres");
        var passwordFile = Path.Combine(root, "postgres-password");
        var asServiceAccount = Environment.IsPrivilegedProcess;

        if (!File.Exists(Path.Combine(clusterDir, "PG_VERSION")))
        {
            await InitialiseAsync(binDir, clusterDir, passwordFile, asServiceAccount, ct);
        }

        var password = (await File.ReadAllTextAsync(passwordFile, ct)).Trim();
        var port = RunningPort(clusterDir) ?? await StartServerAsync(binDir, clusterDir, asServiceAccount, ct);

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = UserName,
            Password = password,
            Database = "postgres",
        };
        await EnsureDatabaseAsync(builder.ConnectionString, ct);
        builder.Database = DatabaseName;
        return new EmbeddedPostgres(binDir, clusterDir, asServiceAccount, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        NpgsqlConnection.ClearAllPools();
        // A server someone else already stopped is fine: there is nothing left to stop.
        await TryRunAsync(_asServiceAccount ? "runuser" : Path.Combine(_binDir, "pg_ctl"), CancellationToken.None,
            [.. (_asServiceAccount ? new[] { "-u", ServiceAccount, "--", Path.Combine(_binDir, "pg_ctl") } : []),
             "-D", _clusterDir, "-m", "fast", "-w", "-t", "60", "stop"]);
    }

    private static async Task InitialiseAsync(string binDir, string clusterDir, string passwordFile, bool asServiceAccount, CancellationToken ct)
    {
        if (Directory.Exists(clusterDir) && Directory.EnumerateFileSystemEntries(clusterDir).Any())
        {
            throw new DatabaseUnavailableException(
                $"The embedded database directory {clusterDir} exists but holds no PostgreSQL cluster. " +
                "Move it away or point AMEBO_DATA_DIR at another directory.");
        }

        Directory.CreateDirectory(clusterDir);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        await File.WriteAllTextAsync(passwordFile, password, ct);
        OwnerOnly(passwordFile);

        // initdb reads the password from a file the server's account can read; it is removed at once.
        var initPasswordFile = Path.Combine(clusterDir, "..", $".initdb-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(initPasswordFile, password, ct);
        try
        {
            if (asServiceAccount)
            {
                await RunAsync(binDir, "chown", false, ct, "-R", $"{ServiceAccount}:", clusterDir, initPasswordFile);
                if (!await CanServiceAccountReachAsync(clusterDir, ct))
                {
                    throw new DatabaseUnavailableException(
                        $"The '{ServiceAccount}' account cannot reach {clusterDir} (a parent directory is closed to it). " +
                        "Point AMEBO_DATA_DIR at a directory it can reach, such as /var/lib/amebo, or set AMEBO_DSN.");
                }
            }

            OwnerOnly(clusterDir, directory: true);
            await RunAsync(binDir, "initdb", asServiceAccount, ct,
                "-D", clusterDir, "-U", UserName, "--pwfile", Path.GetFullPath(initPasswordFile),
                "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--no-instructions");
        }
        finally
        {
            File.Delete(initPasswordFile);
        }

        var settings = string.Join('\n',
            "",
            "# Written by Amebo: loopback TCP only, no Unix socket.",
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 200",
            "logging_collector = off",
            "");
        await File.AppendAllTextAsync(Path.Combine(clusterDir, "postgresql.conf"), settings, ct);
    }

    private static void OwnerOnly(string path, bool directory = false)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | (directory ? UnixFileMode.UserExecute : 0);
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>The port of a server already running on this cluster, after clearing a stale lock file.</summary>
    private static int? RunningPort(string clusterDir)
    {
        var pidFile = Path.Combine(clusterDir, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;

        var lines = File.ReadAllLines(pidFile);
        if (lines.Length > 3 && int.TryParse(lines[0], out var pid) && IsPostgres(pid) && int.TryParse(lines[3], out var port))
        {
            return port;
        }

        // Left behind by a server that died without cleaning up (or whose pid now belongs to another program).
        File.Delete(pidFile);
        return null;
    }

    private static bool IsPostgres(int pid)
    {
        try
        {
            var comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            return comm.StartsWith("postgres", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task<int> StartServerAsync(string binDir, string clusterDir, bool asServiceAccount, CancellationToken ct)
    {
        var port = FreeLoopbackPort();
        await RunAsync(binDir, "pg_ctl", asServiceAccount, ct,
            "-D", clusterDir, "-l", Path.Combine(clusterDir, "server.log"), "-o", $"-p {port}", "-w", "-t", "60", "start");
        return port;
    }

    private static async Task EnsureDatabaseAsync(string adminConnectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", connection)
        {
            Parameters = { new() { Value = DatabaseName } },
        };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"create database {DatabaseName}", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> CanServiceAccountReachAsync(string directory, CancellationToken ct)
    {
        var (code, _) = await TryRunAsync("runuser", ct, "-u", ServiceAccount, "--", "test", "-w", directory);
        return code == 0;
    }

    /// <summary>The directory holding initdb and pg_ctl: PATH, then pg_config, then Debian's versioned folders.</summary>
    public static string? FindBinaries(string pathVariable, string debianRoot)
    {
        static bool HasServer(string? dir) =>
            !string.IsNullOrEmpty(dir) && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        var path = pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in path)
        {
            if (HasServer(dir)) return dir;
        }

        var pgConfig = path.Select(dir => Path.Combine(dir, "pg_config")).FirstOrDefault(File.Exists);
        if (pgConfig is not null)
        {
            try
            {
                var (code, output) = TryRunAsync(pgConfig, CancellationToken.None, "--bindir").GetAwaiter().GetResult();
                if (code == 0 && HasServer(output.Trim())) return output.Trim();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // pg_config exists but cannot run; fall through to the well-known locations.
            }
        }

        if (!Directory.Exists(debianRoot)) return null;
        return Directory.GetDirectories(debianRoot)
            .Select(dir => (Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0, Bin: Path.Combine(dir, "bin")))
            .Where(x => HasServer(x.Bin))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Bin)
            .FirstOrDefault();
    }

    private static async Task RunAsync(string binDir, string program, bool asServiceAccount, CancellationToken ct, params string[] arguments)
    {
        var executable = program == "chown" ? "chown" : Path.Combine(binDir, program);
        var (file, args) = asServiceAccount
            ? ("runuser", new[] { "-u", ServiceAccount, "--", executable }.Concat(arguments).ToArray())
            : (executable, arguments);

        var (code, output) = await TryRunAsync(file, ct, args);
        if (code != 0)
        {
            throw new DatabaseUnavailableException(
                $"The embedded PostgreSQL could not run '{program}' (exit code {code}): {output.Trim()}");
        }
    }

    private static async Task<(int Code, string Output)> TryRunAsync(string file, CancellationToken ct, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // The server inherits this environment; keep a caller's locale settings from breaking initdb.
        info.Environment["LC_ALL"] = "C.UTF-8";

        using var process = Process.Start(info) ?? throw new DatabaseUnavailableException($"Could not start {file}.");
        // pg_ctl start leaves the server holding the inherited pipes open; read only until pg_ctl exits.
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = await FirstOrEmpty(stdout) + await FirstOrEmpty(stderr);
        return (process.ExitCode, output);
    }

    private static async Task<string> FirstOrEmpty(Task<string> read)
    {
        var done = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(1)));
        return done == read ? await read : "";
    }
}

/// <summary>Amebo cannot reach or start its database; the message tells the operator what to do.</summary>
public sealed class DatabaseUnavailableException(string message) : Exception(message);
