using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Amebo.Bench;

/// <summary>Amebo (the Release build next to this harness) in its own process, on a free loopback port.</summary>
public sealed class AmeboServer : IAsyncDisposable
{
    public const string AdminSecret = "benchmark-administrator-secret";
    public const string Secret = "benchmark-application-secret";

    private readonly Process _process;
    private readonly string _dataDir;

    private AmeboServer(Process process, string dataDir, Uri address)
    {
        _process = process;
        _dataDir = dataDir;
        Address = address;
    }

    public Uri Address { get; }
    public int ProcessId => _process.Id;

    public static async Task<AmeboServer> StartAsync(string connectionString)
    {
        var server = Launch(connectionString);
        using var probe = new HttpClient { BaseAddress = server.Address };
        for (var i = 0; i < 600; i++)
        {
            try
            {
                await probe.GetAsync("/v1/applications");
                return server;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException("Amebo did not answer within 60 s.");
    }

    /// <summary>Starts the server process and returns at once, before it answers.</summary>
    public static AmeboServer Launch(string connectionString)
    {
        var port = FreePort();
        var dataDir = Path.Combine(Path.GetTempPath(), $"amebo-bench-{Guid.NewGuid():N}");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Amebo.Platform.dll"));
        info.Environment["AMEBO_DSN"] = connectionString;
        info.Environment["AMEBO_DATA_DIR"] = dataDir;
        info.Environment["AMEBO_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["AMEBO_ADMIN_SECRET"] = AdminSecret;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  amebo: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        return new AmeboServer(process, dataDir, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>A client that keeps up to <paramref name="connections"/> connections and sends the application's token.</summary>
    public HttpClient Client(int connections, string? token = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromMinutes(5),
        };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<string> TokenAsync(string application, string secret)
    {
        using var client = Client(1);
        var answer = await client.PostAsync("/v1/tokens", Json($$"""{"application":"{{application}}","secret":"{{secret}}"}"""));
        var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("data").GetProperty("token").GetString()!;
    }

    /// <summary>Registers the bench application and its actions; returns the application's token.</summary>
    public async Task<string> PrepareAsync()
    {
        using var admin = Client(1, await TokenAsync("amebo", AdminSecret));
        await Expect(admin.PostAsync("/v1/applications", Json($$"""{"application":"bench","address":"http://127.0.0.1:9","secret":"{{Secret}}"}""")));
        var token = await TokenAsync("bench", Secret);
        using var bench = Client(1, token);
        const string schema = """{"type":"object","properties":{"id":{"type":"string"},"email":{"type":"string","format":"email"},"n":{"type":"integer"}},"required":["id"]}""";
        foreach (var action in new[] { "bench.created", "user.created", "user.profile_updated", Webhooks.Action })
        {
            await Expect(bench.PostAsync("/v1/actions", Json($$"""{"action":"{{action}}","application":"bench","schemata":{{schema}}}""")));
        }
        return token;
    }

    /// <summary>Resident memory of the server process, in MB.</summary>
    public double ResidentMegabytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
            }
        }
        return 0;
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>One publish item: <c>{"action", "payload": {"id", "email", "n"}}</c>.</summary>
    public static string Event(string action, string id, long n) =>
        "{\"action\":\"" + action + "\",\"payload\":{\"id\":\"" + id + "\",\"email\":\"bench@example.com\",\"n\":" + n + "}}";

    private static async Task Expect(Task<HttpResponseMessage> call)
    {
        var answer = await call;
        if (!answer.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        await _process.WaitForExitAsync();
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }
}
