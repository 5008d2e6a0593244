using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Operations;

public sealed class when_observing_amebo(AmeboFixture fixture) : AmeboTest(fixture)
{
    private async Task<string> Text(string url)
    {
        using var client = Fixture.Host.Server.CreateClient();
        var answer = await client.GetAsync(url);
        if ((int)answer.StatusCode is 301 or 302) answer = await client.GetAsync(answer.Headers.Location);
        ((int)answer.StatusCode).ShouldBe(200, url);
        return await answer.Content.ReadAsStringAsync();
    }

    /// <summary>The value of one sample of the Prometheus text (0 when the series has not appeared yet).</summary>
    private static double Sample(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task metrics_move_by_exactly_what_was_published_refused_delivered_and_stored()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await Api.SeedUserCreated();
        await Api.RegisteredApplication("mailer", receiver.Address);
        var mailer = await Api.WithTokenFor("mailer");
        ((int)(await mailer.Post("/v1/subscriptions", new { application = "mailer", action = "user.created", handler = "/hooks/users" })).Status).ShouldBe(201);
        var before = await Text("/metrics");

        foreach (var id in new[] { "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333" })
        {
            var user = Seed.Alice();
            user["id"] = id;
            await Api.Published("user.created", user);
        }
        var invalid = Seed.Alice();
        invalid["email"] = "invalid-email";
        for (var i = 0; i < 2; i++)
        {
            (await Api.Post("/v1/events", new System.Text.Json.Nodes.JsonObject { ["action"] = "user.created", ["payload"] = invalid.DeepClone() }.ToJsonString())).ShouldBeProblem(422);
        }
        await receiver.UntilReceived(3);
        string after;
        var waited = 0;
        do
        {
            // The deliverer counts an attempt once it has recorded it, just after the receiver answered.
            await Task.Delay(50);
            after = await Text("/metrics");
        }
        while (Sample(after, "amebo_deliveries_total{status=\"delivered\"}") - Sample(before, "amebo_deliveries_total{status=\"delivered\"}") < 3 && ++waited < 100);

        double Moved(string series) => Sample(after, series) - Sample(before, series);
        Moved("amebo_events_published_total{action=\"user.created\"}").ShouldBe(3);
        Moved("amebo_schema_validation_failures_total{action=\"user.created\"}").ShouldBe(2);
        Moved("amebo_publish_duration_seconds_count").ShouldBe(3);
        Moved("amebo_deliveries_total{status=\"delivered\"}").ShouldBe(3);
        Moved("amebo_delivery_duration_seconds_count").ShouldBe(3);
        Sample(after, "amebo_stored_events").ShouldBe(3);
        Sample(after, "amebo_event_table_bytes").ShouldBeGreaterThan(0);
        after.ShouldContain("amebo_projection_lag_events{projection=\"action-stats\"}");
        after.ShouldContain("process_cpu_seconds_total");
        after.ShouldContain("http_request_duration_seconds");
    }

    [Fact]
    public async Task each_request_is_one_log_line_with_method_route_status_and_duration()
    {
        await Api.SeedUserCreated();
        await Api.Get("/v1/actions/user.created");

        Fixture.Logs.Lines.ShouldContain(line => line.Contains("GET /v1/actions/{action} 200") && line.Contains(" ms"));
    }

    [Fact]
    public async Task the_openapi_document_describes_the_routes_and_the_reference_page_needs_no_internet()
    {
        var document = System.Text.Json.JsonDocument.Parse(await Text("/openapi/v1.json")).RootElement;
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/v1/events", "/v1/events/batch", "/v1/tokens", "/v1/applications", "/v1/actions", "/v1/subscriptions", "/v1/gists", "/v1/projections" })
        {
            paths.TryGetProperty(path, out _).ShouldBeTrue(path);
        }

        var page = await Text("/docs");
        page.ShouldContain("<html", Case.Insensitive);
        page.ShouldNotContain("cdn.jsdelivr.net");
        page.ShouldNotContain("unpkg.com");
    }
}
