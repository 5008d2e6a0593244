using System.Text.Json;
using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Operations;

/// <summary>
/// The OpenAPI document served at /openapi/v1.json describes every route with its shapes and problem
/// responses, and docs/openapi.json is that same document. After changing the API, write it again
/// with `just openapi` (AMEBO_WRITE_OPENAPI=1 and this test).
/// </summary>
public sealed class when_publishing_the_openapi_document(AmeboFixture fixture) : AmeboTest(fixture)
{
    private async Task<JsonNode> Served()
    {
        using var client = Fixture.Host.Server.CreateClient();
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!.AsObject();
        // The server address is the one the document was asked from; it is not part of the API.
        document.Remove("servers");
        return document;
    }

    private static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Amebo.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("Amebo.sln not found above the test binaries.");
    }

    [Fact]
    public async Task docs_openapi_json_is_the_document_amebo_serves()
    {
        var served = await Served();
        var file = Path.Combine(Repository(), "docs", "openapi.json");
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("AMEBO_WRITE_OPENAPI") == "1") await File.WriteAllTextAsync(file, text);

        File.Exists(file).ShouldBeTrue("docs/openapi.json is missing: run `just openapi`");
        JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(file)), served)
            .ShouldBeTrue("docs/openapi.json differs from the document Amebo serves: run `just openapi` and commit it");
    }

    [Fact]
    public async Task every_route_has_its_success_shape_and_its_problem_responses()
    {
        var document = await Served();
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(op => (Path: path.Key, Method: op.Key, Operation: op.Value!.AsObject())))
            .Where(o => o.Path.StartsWith("/v1/", StringComparison.Ordinal))
            .ToList();

        operations.Count.ShouldBe(30);
        foreach (var (path, method, operation) in operations)
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            operation["operationId"]?.GetValue<string>().ShouldNotBeNullOrEmpty(where);
            var responses = operation["responses"]!.AsObject();
            var success = responses.Where(r => r.Key.StartsWith('2')).ToList();
            success.ShouldNotBeEmpty(where);
            var bodiless = operation["operationId"]!.GetValue<string>() is "RetryGist" or "RebuildProjection";
            if (method is "post" or "put" && !bodiless) operation["requestBody"].ShouldNotBeNull(where);
            // A success that returns a body says what it holds.
            foreach (var (status, response) in success.Where(s => s.Key != "204"))
            {
                response!["content"]?["application/json"]?["schema"].ShouldNotBeNull($"{where} {status}");
            }
            foreach (var status in new[] { "401", "429", "503" })
            {
                responses[status]?["content"]?["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>()
                    .ShouldBe("#/components/schemas/Problem", $"{where} {status}");
            }
            if (path.Contains('{')) responses.ContainsKey("404").ShouldBeTrue(where);
            if (operation["requestBody"] is not null)
            {
                foreach (var status in new[] { "400", "413", "415" }) responses.ContainsKey(status).ShouldBeTrue($"{where} {status}");
            }
        }
        var publish = operations.Single(o => o.Path == "/v1/events" && o.Method == "post").Operation["responses"]!.AsObject();
        publish.Select(r => r.Key).ShouldBe(["201", "200", "400", "401", "403", "404", "409", "413", "415", "422", "429", "503"], ignoreOrder: true);
        document["components"]!["schemas"]!["Problem"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldBe(["type", "title", "status", "detail"], ignoreOrder: true);
    }
}
