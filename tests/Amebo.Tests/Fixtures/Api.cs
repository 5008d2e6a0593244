using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Amebo.Tests.Fixtures;

/// <summary>An answer from Amebo: status, headers and the parsed JSON body (if any).</summary>
public sealed record Answer(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response, string Text)
{
    public JsonElement Data => Body.GetProperty("data");

    public override string ToString() => $"{(int)Status} {Text}";
    public string? ContentType => Response.Content.Headers.ContentType?.MediaType;

    /// <summary>Asserts a problem-details answer with this status and returns its body.</summary>
    public JsonElement ShouldBeProblem(int status)
    {
        ((int)Status).ShouldBe(status, Text);
        ContentType.ShouldBe("application/problem+json");
        Body.GetProperty("status").GetInt32().ShouldBe(status);
        Body.GetProperty("type").GetString().ShouldNotBeNullOrWhiteSpace();
        Body.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        var detail = Body.GetProperty("detail").GetString();
        detail.ShouldNotBeNullOrWhiteSpace();
        detail.ShouldNotContain("Exception");
        detail.ShouldNotContain("   at ");
        return Body;
    }

    public IReadOnlyList<(string Pointer, string Message, string Keyword)> Errors =>
        Body.TryGetProperty("errors", out var errors)
            ? errors.EnumerateArray().Select(e => (e.GetProperty("pointer").GetString()!, e.GetProperty("message").GetString()!, e.GetProperty("keyword").GetString()!)).ToList()
            : [];
}

/// <summary>Arranges and acts through Amebo's HTTP API, as a client would.</summary>
public sealed class Api(HttpClient client, AmeboFixture fixture)
{
    public const string Secret = "correct-horse-battery-staple";

    public AmeboFixture Fixture { get; } = fixture;

    /// <summary>The bearer token this client sends, if any.</summary>
    public string? Token { get; private set; }

    /// <summary>A client for the same host that sends a token for this application.</summary>
    public async Task<Api> WithTokenFor(string application, string secret = Secret)
    {
        var answer = await Post("/v1/tokens", new { application, secret });
        ((int)answer.Status).ShouldBe(200, answer.Text);
        return WithToken(answer.Data.GetProperty("token").GetString()!);
    }

    public Api WithToken(string? token)
    {
        var api = new Api(Fixture.Host.Server.CreateClient(), Fixture) { Token = token };
        if (token is not null) api.client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return api;
    }

    private readonly HttpClient client = client;

    public Task<Answer> Get(string url) => Send(new HttpRequestMessage(HttpMethod.Get, url));

    public Task<Answer> Put(string url, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url)
        {
            Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        return Send(request);
    }

    public Task<Answer> Post(string url, object body) => PostRaw(url, body as string ?? JsonSerializer.Serialize(body));

    public Task<Answer> PostRaw(string url, string body, string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        return Send(request);
    }

    public async Task<Answer> Send(HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new Answer(response.StatusCode, body, response, text);
    }

    public async Task PutPaused(string subscription, bool paused)
    {
        var answer = await Put($"/v1/subscriptions/{subscription}", new { paused });
        ((int)answer.Status).ShouldBe(200, answer.Text);
    }

    public async Task<Answer> RegisteredApplication(string name = "user-service", string address = "https://users.example.com")
    {
        var answer = await Post("/v1/applications", new { application = name, address, secret = Secret });
        ((int)answer.Status).ShouldBe(201, answer.Text);
        return answer;
    }

    public async Task<Answer> DefinedAction(string action, object schemata, string application = "user-service", string? stream = null)
    {
        var body = new JsonObject
        {
            ["action"] = action,
            ["application"] = application,
            ["schemata"] = JsonSerializer.SerializeToNode(schemata),
        };
        if (stream is not null) body["stream"] = stream;
        var answer = await Post("/v1/actions", body.ToJsonString());
        ((int)answer.Status).ShouldBe(201, answer.Text);
        return answer;
    }

    /// <summary>The seed's user-service application with its user.created action.</summary>
    public async Task SeedUserCreated()
    {
        await RegisteredApplication();
        await DefinedAction("user.created", Seed.UserCreatedSchema);
    }

    public async Task<JsonElement> Published(string action, object payload, string? stream = null)
    {
        var body = new JsonObject { ["action"] = action, ["payload"] = JsonSerializer.SerializeToNode(payload) };
        if (stream is not null) body["stream"] = stream;
        var answer = await Post("/v1/events", body.ToJsonString());
        ((int)answer.Status).ShouldBe(201, answer.Text);
        return answer.Data;
    }
}
