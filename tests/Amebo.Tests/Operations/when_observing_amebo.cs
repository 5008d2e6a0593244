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

    [Fact]
    public async Task metrics_count_publishing_validation_failures_and_storage_in_prometheus_text()
    {
        await Api.SeedUserCreated();
        await Api.Published("user.created", Seed.Alice());
        var invalid = Seed.Alice();
        invalid["email"] = "invalid-email";
        await Api.Post("/v1/events", new System.Text.Json.Nodes.JsonObject { ["action"] = "user.created", ["payload"] = invalid }.ToJsonString());

        var metrics = await Text("/metrics");

        metrics.ShouldContain("amebo_events_published_total{action=\"user.created\"}");
        metrics.ShouldContain("amebo_schema_validation_failures_total{action=\"user.created\"}");
        metrics.ShouldContain("amebo_publish_duration_seconds_bucket");
        metrics.ShouldContain("amebo_projection_lag_events{projection=\"action-stats\"}");
        metrics.ShouldContain("amebo_stored_events 1");
        metrics.ShouldContain("amebo_event_table_bytes");
        metrics.ShouldContain("process_cpu_seconds_total");
        metrics.ShouldContain("http_request_duration_seconds");
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
