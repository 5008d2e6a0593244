using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Tokens;

/// <summary>
/// Every cell of the rights table: the administrator, the owning application, another application
/// and no token, on every route group. Each refusal leaves the store exactly as it was.
/// </summary>
public sealed class when_checking_rights(AmeboFixture fixture) : AmeboTest(fixture)
{
    private const string Owner = "user-service";
    private const string Other = "mailer";

    private static readonly string NewEvent =
        new JsonObject { ["action"] = "user.created", ["payload"] = Seed.User("99999999-9999-4999-8999-999999999999") }.ToJsonString();

    private static readonly string NewBatch = new JsonObject
    {
        ["events"] = new JsonArray(new JsonObject { ["action"] = "user.created", ["payload"] = Seed.User("88888888-8888-4888-8888-888888888888") }),
    }.ToJsonString();

    private static readonly (string Method, string Url, string? Body, int Admin, int Owner, int Other)[] Table =
    [
        ("POST", "/v1/applications", """{"application":"billing","address":"https://billing.example.com","secret":"0123456789abcdef"}""", 201, 403, 403),
        ("PUT", "/v1/applications/user-service", """{"address":"https://changed.example.com"}""", 200, 200, 403),
        ("POST", "/v1/actions", """{"action":"user.deleted","application":"user-service","schemata":{}}""", 201, 201, 403),
        ("POST", "/v1/events", NewEvent, 201, 201, 403),
        ("POST", "/v1/events/batch", NewBatch, 201, 201, 403),
        ("GET", "/v1/applications", null, 200, 200, 200),
        ("GET", "/v1/applications/user-service", null, 200, 200, 200),
        ("GET", "/v1/actions", null, 200, 200, 200),
        ("GET", "/v1/actions/user.created", null, 200, 200, 200),
        ("GET", "/v1/events", null, 200, 200, 200),
        ("GET", "/v1/events?action=user.created", null, 200, 200, 200),
        ("GET", "/v1/streams/user:550e8400-e29b-41d4-a716-446655440000", null, 200, 200, 200),
    ];

    public static TheoryData<string, string, string, int> Cells()
    {
        var data = new TheoryData<string, string, string, int>();
        foreach (var row in Table)
        {
            data.Add("administrator", row.Method, row.Url, row.Admin);
            data.Add("owner", row.Method, row.Url, row.Owner);
            data.Add("other application", row.Method, row.Url, row.Other);
            data.Add("no token", row.Method, row.Url, 401);
        }
        return data;
    }

    private async Task<Api> Actor(string actor) => actor switch
    {
        "administrator" => Api,
        "owner" => await Api.WithTokenFor(Owner),
        "other application" => await Api.WithTokenFor(Other),
        _ => Fixture.Anonymous(),
    };

    private async Task Arrange()
    {
        await Api.SeedUserCreated();
        await Api.RegisteredApplication(Other, "https://mailer.example.com");
        await Api.Published("user.created", Seed.Alice());
    }

    private async Task<string> State() => string.Join(" | ",
        await StoredApplications(), await StoredActions(), await StoredEvents(),
        (await Api.Get("/v1/applications/user-service")).Data.GetProperty("address").GetString());

    private static Task<Answer> Call(Api api, string method, string url) =>
        method switch
        {
            "GET" => api.Get(url),
            "PUT" => api.Put(url, Table.First(r => r.Method == method && r.Url == url).Body!),
            _ => api.Post(url, Table.First(r => r.Method == method && r.Url == url).Body!),
        };

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task each_caller_gets_exactly_its_rights(string actor, string method, string url, int expected)
    {
        await Arrange();
        var api = await Actor(actor);
        var before = await State();

        var answer = await Call(api, method, url);

        ((int)answer.Status).ShouldBe(expected, answer.Text);
        if (expected >= 400)
        {
            answer.ShouldBeProblem(expected);
            (await State()).ShouldBe(before);
        }
    }

    [Fact]
    public async Task a_batch_with_one_foreign_action_is_refused_whole()
    {
        await Arrange();
        await Api.DefinedAction("mail.sent", new JsonObject(), application: Other);
        var owner = await Api.WithTokenFor(Owner);
        var before = await State();

        var answer = await owner.Post("/v1/events/batch", new JsonObject
        {
            ["events"] = new JsonArray(
                new JsonObject { ["action"] = "user.created", ["payload"] = Seed.User("77777777-7777-4777-8777-777777777777") },
                new JsonObject { ["action"] = "mail.sent", ["payload"] = new JsonObject { ["id"] = "m1" } }),
        }.ToJsonString());

        answer.ShouldBeProblem(403);
        answer.Errors.ShouldContain(e => e.Pointer == "/events/1/action" && e.Keyword == "owner");
        (await State()).ShouldBe(before);
    }

    public static TheoryData<string> BadTokens() =>
        ["malformed", "expired", "wrong signature", "alg none", "wrong issuer", "wrong audience", "revoked", "unknown application", "empty bearer"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task a_bad_token_is_401_on_reads_and_writes_and_changes_nothing(string kind)
    {
        await Arrange();
        var issued = (await Api.WithTokenFor(Owner)).Token!;
        var stamp = TokenForge.StampOf(issued);
        if (kind == "revoked") await Api.Put("/v1/applications/user-service", new { secret = "rotated-secret-value-1" });
        var token = kind switch
        {
            "malformed" => "not.a.jwt",
            "expired" => TokenForge.Signed(Owner, stamp, expires: DateTime.UtcNow.AddMinutes(-5)),
            "wrong signature" => TokenForge.Signed(Owner, stamp, key: "some-other-signing-key-that-is-long-enough"),
            "alg none" => TokenForge.Unsigned("amebo"),
            "wrong issuer" => TokenForge.Signed(Owner, stamp, issuer: "someone-else"),
            "wrong audience" => TokenForge.Signed(Owner, stamp, audience: "someone-else"),
            "revoked" => issued,
            "unknown application" => TokenForge.Signed("ghost", stamp),
            _ => "",
        };
        var api = Api.WithToken(token);
        var before = await State();

        (await api.Get("/v1/events")).ShouldBeProblem(401);
        (await api.Post("/v1/events", NewEvent)).ShouldBeProblem(401);
        (await api.Post("/v1/actions", Table[2].Body!)).ShouldBeProblem(401);
        (await State()).ShouldBe(before);
    }

    [Fact]
    public async Task a_forged_token_with_the_right_key_and_stamp_is_accepted()
    {
        // The control for the bad-token cases: the forge itself makes tokens Amebo accepts.
        await Arrange();
        var stamp = TokenForge.StampOf((await Api.WithTokenFor(Owner)).Token!);

        ((int)(await Api.WithToken(TokenForge.Signed(Owner, stamp)).Get("/v1/events")).Status).ShouldBe(200);
    }
}
