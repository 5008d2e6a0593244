using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Hosting;

/// <summary>
/// Amebo started the way a user starts it: its own process, no AMEBO_DSN, the embedded database in
/// a fresh data directory, real HTTP on a loopback port, and signals to stop it.
/// </summary>
public sealed class when_running_amebo_as_a_process : IDisposable
{
    private const string AdminSecret = "process-test-admin-secret";
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"amebo-process-{Guid.NewGuid():N}");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Process Start(int port, params (string Key, string Value)[] environment) => Start(port, [], environment);

    private Process Start(int port, string[] arguments, params (string Key, string Value)[] environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Amebo.Platform.dll"));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var key in new[] { "AMEBO_DSN", "AMEBO_JWT_KEY" }) info.Environment.Remove(key);
        info.Environment["AMEBO_ADMIN_SECRET"] = AdminSecret;
        info.Environment["AMEBO_DATA_DIR"] = _dataDir;
        info.Environment["AMEBO_URLS"] = $"http://127.0.0.1:{port}";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return Process.Start(info)!;
    }

    private static async Task<(int Code, string Output)> Finish(Process process)
    {
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    private static async Task<HttpClient> Answering(int port)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        for (var i = 0; i < 600; i++)
        {
            try
            {
                await client.PostAsync("/v1/tokens", new StringContent("{}", Encoding.UTF8, "application/json"));
                var token = await client.PostAsync("/v1/tokens", new StringContent(
                    $$"""{"application":"amebo","secret":"{{AdminSecret}}"}""", Encoding.UTF8, "application/json"));
                var body = await token.Content.ReadFromJsonAsync<JsonElement>();
                client.DefaultRequestHeaders.Authorization = new("Bearer", body.GetProperty("data").GetProperty("token").GetString());
                return client;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("Amebo did not answer within 60 s.");
    }

    private static async Task Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]);
        await kill.WaitForExitAsync();
    }

    [Fact]
    public async Task starts_on_the_embedded_database_stops_on_sigterm_and_keeps_its_data()
    {
        var port = FreePort();
        var first = Start(port);
        using (var client = await Answering(port))
        {
            var register = await client.PostAsync("/v1/applications", new StringContent(
                """{"application":"user-service","address":"https://users.example.com","secret":"0123456789abcdef"}""", Encoding.UTF8, "application/json"));
            ((int)register.StatusCode).ShouldBe(201);
        }

        await Terminate(first);
        var (code, _) = await Finish(first);
        code.ShouldBe(0);
        File.Exists(Path.Combine(_dataDir, "postgres", "postmaster.pid")).ShouldBeFalse("SIGTERM must stop the embedded PostgreSQL");

        var second = Start(port);
        try
        {
            using var client = await Answering(port);
            var list = await client.GetFromJsonAsync<JsonElement>("/v1/applications");
            list.GetProperty("data")[0].GetProperty("application").GetString().ShouldBe("user-service");
        }
        finally
        {
            await Terminate(second);
            await Finish(second);
        }
    }

    [Fact]
    public async Task with_auto_migrate_off_it_refuses_a_missing_schema_until_db_apply_creates_it()
    {
        var port = FreePort();

        var refused = await Finish(Start(port, ("AMEBO_AUTO_MIGRATE", "false")));

        refused.Code.ShouldBe(1, refused.Output);
        refused.Output.ShouldContain("AMEBO_AUTO_MIGRATE=false and the database schema is not in place");
        refused.Output.ShouldContain("db-apply");

        var applied = await Finish(Start(port, ["db-apply"], ("AMEBO_AUTO_MIGRATE", "false")));

        applied.Code.ShouldBe(0, applied.Output);
        applied.Output.ShouldContain("the database schema is in place");

        var started = Start(port, ("AMEBO_AUTO_MIGRATE", "false"));
        try
        {
            using var client = await Answering(port);
            ((int)(await client.GetAsync("/health/ready")).StatusCode).ShouldBe(200);
            var register = await client.PostAsync("/v1/applications", new StringContent(
                """{"application":"user-service","address":"https://users.example.com","secret":"0123456789abcdef"}""", Encoding.UTF8, "application/json"));
            ((int)register.StatusCode).ShouldBe(201);
        }
        finally
        {
            await Terminate(started);
            (await Finish(started)).Code.ShouldBe(0);
        }
    }

    private static async Task<(int Code, string Output)> Chromium(params string[] arguments)
    {
        var info = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Every host name but the loopback address fails to resolve: the page must need no network.
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            $"--user-data-dir={Path.Combine(Path.GetTempPath(), $"amebo-chromium-{Guid.NewGuid():N}")}", "--virtual-time-budget=20000", "--window-size=1280,1000",
        }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    [SkippableFact]
    public async Task the_api_reference_page_renders_in_a_browser_with_no_network()
    {
        Skip.IfNot(File.Exists("/usr/bin/chromium") || File.Exists("/usr/local/bin/chromium"), "Chromium is not installed (apt-get install chromium)");
        var port = FreePort();
        var server = Start(port);
        try
        {
            using var client = await Answering(port);
            var page = $"http://127.0.0.1:{port}/docs";

            var (_, dom) = await Chromium("--dump-dom", page);
            var screenshot = Path.Combine(_dataDir, "docs.png");
            await Chromium($"--screenshot={screenshot}", page);

            // Scalar builds the page from /openapi/v1.json in the browser: the concepts, the
            // description and the first group's operations appear only once its script (served by
            // Amebo) has run and read the document.
            foreach (var concept in new[] { "Tokens", "Applications", "Actions", "Events", "Read models", "Subscriptions" }) dom.ShouldContain(concept);
            dom.ShouldContain("Schema-checked events over REST");
            dom.ShouldContain("Exchange an application");
            dom.ShouldContain("/v1/tokens");
            File.Exists(screenshot).ShouldBeTrue();
            // A blank page compresses to a few kilobytes; a rendered reference does not.
            new FileInfo(screenshot).Length.ShouldBeGreaterThan(30_000);
            var kept = Path.Combine(AppContext.BaseDirectory, "docs-page.png");
            File.Copy(screenshot, kept, overwrite: true);
        }
        finally
        {
            await Terminate(server);
            await Finish(server);
        }
    }

    private static async Task<int> PgCtl(params string[] arguments)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).First(d => File.Exists(Path.Combine(d, "pg_ctl")));
        var info = new ProcessStartInfo(Environment.UserName == "root" ? "runuser" : Path.Combine(bin, "pg_ctl")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Environment.UserName == "root") foreach (var a in new[] { "-u", "postgres", "--", Path.Combine(bin, "pg_ctl") }) info.ArgumentList.Add(a);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        // pg_ctl start leaves the server holding the pipes: wait for pg_ctl only.
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private static async Task<HttpResponseMessage> ReadyUntil(HttpClient client, int status)
    {
        for (var i = 0; i < 300; i++)
        {
            var answer = await client.GetAsync("/health/ready");
            if ((int)answer.StatusCode == status) return answer;
            await Task.Delay(100);
        }
        throw new TimeoutException($"/health/ready did not answer {status} within 30 s.");
    }

    [Fact]
    public async Task ready_goes_503_while_the_database_is_stopped_and_200_when_it_is_back_without_a_restart()
    {
        var port = FreePort();
        var server = Start(port);
        try
        {
            using var client = await Answering(port);
            ((int)(await client.GetAsync("/health/ready")).StatusCode).ShouldBe(200);
            var cluster = Path.Combine(_dataDir, "postgres");
            var databasePort = File.ReadAllLines(Path.Combine(cluster, "postmaster.pid"))[3].Trim();

            (await PgCtl("-D", cluster, "-m", "fast", "-w", "stop")).ShouldBe(0);
            var down = await ReadyUntil(client, 503);
            down.Headers.RetryAfter.ShouldNotBeNull();
            ((int)(await client.GetAsync("/health/live")).StatusCode).ShouldBe(200);

            (await PgCtl("-D", cluster, "-l", Path.Combine(cluster, "server.log"), "-o", $"-p {databasePort}", "-w", "start")).ShouldBe(0);
            await ReadyUntil(client, 200);
            var register = await client.PostAsync("/v1/applications", new StringContent(
                """{"application":"user-service","address":"https://users.example.com","secret":"0123456789abcdef"}""", Encoding.UTF8, "application/json"));
            ((int)register.StatusCode).ShouldBe(201);
        }
        finally
        {
            await Terminate(server);
            await Finish(server);
        }
    }

    [Fact]
    public async Task rebuilds_a_projection_from_the_command_line_showing_progress()
    {
        var port = FreePort();
        var server = Start(port);
        try
        {
            using var client = await Answering(port);
            await client.PostAsync("/v1/applications", new StringContent(
                """{"application":"user-service","address":"https://users.example.com","secret":"0123456789abcdef"}""", Encoding.UTF8, "application/json"));
            await client.PostAsync("/v1/actions", new StringContent(
                """{"action":"user.created","application":"user-service","schemata":{}}""", Encoding.UTF8, "application/json"));
            var published = await client.PostAsync("/v1/events", new StringContent(
                """{"action":"user.created","payload":{"id":"u1","name":"One"}}""", Encoding.UTF8, "application/json"));
            ((int)published.StatusCode).ShouldBe(201);
        }
        finally
        {
            await Terminate(server);
            await Finish(server);
        }

        var (code, output) = await Finish(Start(FreePort(), ["projections", "rebuild", "-p", "user-profiles"]));

        code.ShouldBe(0, output);
        output.ShouldContain("user-profiles:All");
        output.ShouldContain("Finished rebuilding user-profiles");

        var again = Start(port);
        try
        {
            using var client = await Answering(port);
            var profile = await client.GetFromJsonAsync<JsonElement>("/v1/projections/user-profiles/u1");
            profile.GetProperty("data").GetProperty("name").GetString().ShouldBe("One");
        }
        finally
        {
            await Terminate(again);
            await Finish(again);
        }
    }

    /// <summary>user-service with an open user.created action, subscribed to it at the receiver.</summary>
    private static async Task Subscribe(HttpClient client, WebhookReceiver receiver)
    {
        await client.PostAsync("/v1/applications", new StringContent(
            $$"""{"application":"user-service","address":"{{receiver.Address}}","secret":"0123456789abcdef"}""", Encoding.UTF8, "application/json"));
        await client.PostAsync("/v1/actions", new StringContent("""{"action":"user.created","application":"user-service","schemata":{}}""", Encoding.UTF8, "application/json"));
        var subscribed = await client.PostAsync("/v1/subscriptions", new StringContent(
            """{"application":"user-service","action":"user.created","handler":"/hooks"}""", Encoding.UTF8, "application/json"));
        ((int)subscribed.StatusCode).ShouldBe(201);
    }

    /// <summary>Eight writers publishing until stopped or cut off; what was acknowledged (201) and any other answer are collected.</summary>
    private static List<Task> Burst(
        HttpClient client, string prefix, System.Collections.Concurrent.ConcurrentBag<(long Rowid, string Id)> acknowledged,
        System.Collections.Concurrent.ConcurrentBag<int> otherAnswers, CancellationToken stop) =>
        Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                try
                {
                    var answer = await client.PostAsync("/v1/events", new StringContent(
                        "{\"action\":\"user.created\",\"payload\":{\"id\":\"" + prefix + w + "-" + n + "\"}}", Encoding.UTF8, "application/json"));
                    if ((int)answer.StatusCode == 201)
                    {
                        var data = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
                        acknowledged.Add((data.GetProperty("rowid").GetInt64(), data.GetProperty("id").GetString()!));
                    }
                    else
                    {
                        otherAnswers.Add((int)answer.StatusCode);
                    }
                }
                catch (HttpRequestException)
                {
                    return;
                }
            }
        })).ToList();

    /// <summary>Waits until the receiver has had every acknowledged event; returns the ones it has not.</summary>
    private static async Task<List<string>> Undelivered(WebhookReceiver receiver, IEnumerable<string> ids)
    {
        var expected = ids.ToList();
        var delivered = new HashSet<string>();
        for (var i = 0; i < 600 && !expected.All(delivered.Contains); i++)
        {
            await Task.Delay(100);
            delivered = receiver.Requests.Where(r => r.Headers.ContainsKey("webhook-id"))
                .Select(r => JsonNode.Parse(r.Body)!["id"]!.GetValue<string>()).ToHashSet();
        }
        return expected.Where(id => !delivered.Contains(id)).ToList();
    }

    [Fact]
    public async Task sigterm_under_load_answers_what_it_took_stops_cleanly_and_leaves_deliveries_for_the_next_start()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = FreePort();
        var first = Start(port, ("AMEBO_RETRY_SCHEDULE", "0.2s"), ("AMEBO_DELIVERY_TIMEOUT", "1s"));
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(long Rowid, string Id)>();
        var otherAnswers = new System.Collections.Concurrent.ConcurrentBag<int>();
        using (var client = await Answering(port))
        {
            await Subscribe(client, receiver);
            // Deliveries fail until well after the stop, so some are pending when it comes.
            receiver.AnswerWith(Enumerable.Repeat(503, 100000).ToArray());

            using var stop = new CancellationTokenSource();
            var burst = Burst(client, "t", acknowledged, otherAnswers, stop.Token);
            while (acknowledged.Count < 150) await Task.Delay(20);
            await Terminate(first);
            var (code, _) = await Finish(first);
            await stop.CancelAsync();
            await Task.WhenAll(burst);

            code.ShouldBe(0);
            File.Exists(Path.Combine(_dataDir, "postgres", "postmaster.pid")).ShouldBeFalse("SIGTERM must stop the embedded PostgreSQL");
            otherAnswers.ShouldAllBe(status => status == 503, "a request refused while stopping is told to come back, never failed");
        }

        receiver.AnswerOk();
        var second = Start(port, ("AMEBO_RETRY_SCHEDULE", "0.2s"), ("AMEBO_DELIVERY_TIMEOUT", "1s"));
        try
        {
            using var client = await Answering(port);
            foreach (var (rowid, id) in acknowledged)
            {
                var stored = await client.GetFromJsonAsync<JsonElement>($"/v1/events/{rowid}");
                stored.GetProperty("data").GetProperty("id").GetString().ShouldBe(id);
            }
            (await Undelivered(receiver, acknowledged.Select(a => a.Id))).ShouldBeEmpty("every event acknowledged before the stop is delivered after the restart");
        }
        finally
        {
            await Terminate(second);
            await Finish(second);
        }
    }

    [Fact]
    public async Task deliveries_survive_a_killed_server()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = FreePort();
        var first = Start(port, ("AMEBO_RETRY_SCHEDULE", "0.2s"), ("AMEBO_DELIVERY_TIMEOUT", "1s"));
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(long Rowid, string Id)>();
        using (var client = await Answering(port))
        {
            await Subscribe(client, receiver);
            // The receiver refuses at first, so deliveries are still pending when the server dies.
            receiver.AnswerWith(Enumerable.Repeat(503, 40).ToArray());

            using var kill = new CancellationTokenSource();
            var burst = Burst(client, "u", acknowledged, [], kill.Token);
            while (acknowledged.Count < 150) await Task.Delay(20);
            first.Kill();
            await kill.CancelAsync();
            await Task.WhenAll(burst);
        }
        await first.WaitForExitAsync();

        var second = Start(port, ("AMEBO_RETRY_SCHEDULE", "0.2s"), ("AMEBO_DELIVERY_TIMEOUT", "1s"));
        try
        {
            using var client = await Answering(port);
            (await Undelivered(receiver, acknowledged.Select(a => a.Id))).ShouldBeEmpty("every acknowledged event is delivered after the restart");
            var failed = await client.GetFromJsonAsync<JsonElement>("/v1/gists?status=failed");
            failed.GetProperty("data").GetArrayLength().ShouldBe(0);
        }
        finally
        {
            await Terminate(second);
            await Finish(second);
        }
    }

    [Fact]
    public async Task exits_with_one_clear_message_for_a_setting_it_cannot_use()
    {
        var (code, output) = await Finish(Start(FreePort(), ("AMEBO_ENVELOPE", "lots")));

        code.ShouldBe(1);
        output.ShouldContain("amebo: AMEBO_ENVELOPE must be a whole number");
        output.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task exits_with_one_clear_message_when_the_dsn_server_is_unreachable()
    {
        var (code, output) = await Finish(Start(FreePort(), ("AMEBO_DSN", $"Host=127.0.0.1;Port={FreePort()};Timeout=1")));

        code.ShouldBe(1);
        output.ShouldContain("AMEBO_DSN");
        output.ShouldContain("embedded database");
        output.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task refuses_to_turn_authentication_off_on_a_public_address()
    {
        var (code, output) = await Finish(Start(FreePort(), ("AMEBO_AUTH", "off"), ("AMEBO_URLS", "http://0.0.0.0:3399")));

        code.ShouldBe(1);
        output.ShouldContain("AMEBO_AUTH=off is only allowed when Amebo listens on loopback addresses");
    }

    [Fact]
    public async Task with_authentication_off_on_loopback_says_so_loudly_and_needs_no_token()
    {
        var port = FreePort();
        var process = Start(port, ("AMEBO_AUTH", "off"));
        try
        {
            using var client = await Answering(port);
            client.DefaultRequestHeaders.Authorization = null;
            var register = await client.PostAsync("/v1/applications", new StringContent(
                """{"application":"laptop-app","address":"http://localhost:9000","secret":"0123456789abcdef"}""", Encoding.UTF8, "application/json"));
            ((int)register.StatusCode).ShouldBe(201);
        }
        finally
        {
            await Terminate(process);
        }
        var (_, output) = await Finish(process);
        output.ShouldContain("AUTHENTICATION IS OFF");
    }

    [Fact]
    public async Task limits_each_application_to_its_requests_per_second()
    {
        var port = FreePort();
        var process = Start(port, ("AMEBO_RATE_LIMIT", "3"), ("AMEBO_LOG_FORMAT", "json"));
        try
        {
            using var client = await Answering(port);
            var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.GetAsync("/v1/applications")));

            answers.Count(a => a.StatusCode == HttpStatusCode.OK).ShouldBeLessThanOrEqualTo(6);
            var limited = answers.First(a => (int)a.StatusCode == 429);
            limited.Headers.RetryAfter.ShouldNotBeNull();
            limited.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32().ShouldBe(429);
        }
        finally
        {
            await Terminate(process);
        }
        var (_, output) = await Finish(process);
        var requestLines = output.Split('\n').Where(l => l.Contains("/v1/applications")).ToList();
        requestLines.ShouldNotBeEmpty();
        requestLines.ShouldAllBe(l => JsonDocument.Parse(l.Trim()).RootElement.GetProperty("Category").GetString() == "Amebo.Platform.Hosting.RequestLog");
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }
}
