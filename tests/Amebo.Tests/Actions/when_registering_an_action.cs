using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Actions;

public sealed class when_registering_an_action(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task answers_201_with_version_1_and_the_default_stream_pointer()
    {
        await Api.RegisteredApplication();

        var answer = await Api.Post("/v1/actions", new JsonObject
        {
            ["action"] = "user.created",
            ["application"] = "user-service",
            ["schemata"] = Seed.UserCreatedSchema.DeepClone(),
        }.ToJsonString());

        ((int)answer.Status).ShouldBe(201, answer.Text);
        answer.Data.GetProperty("action").GetString().ShouldBe("user.created");
        answer.Data.GetProperty("application").GetString().ShouldBe("user-service");
        answer.Data.GetProperty("version").GetInt32().ShouldBe(1);
        answer.Data.GetProperty("stream").GetString().ShouldBe("/id");
        JsonNode.DeepEquals(JsonNode.Parse(answer.Data.GetProperty("schemata").GetRawText()), Seed.UserCreatedSchema).ShouldBeTrue();
        answer.Data.GetProperty("created_at").GetString().ShouldEndWith("Z");
    }

    [Fact]
    public async Task keeps_a_custom_stream_pointer_and_accepts_an_empty_schema()
    {
        await Api.RegisteredApplication();

        var answer = await Api.DefinedAction("user.status_changed", new JsonObject(), stream: "/user_id");

        answer.Data.GetProperty("stream").GetString().ShouldBe("/user_id");
        (await Api.Get("/v1/actions/user.status_changed")).Data.GetProperty("stream").GetString().ShouldBe("/user_id");
    }

    [Theory]
    [InlineData("""{"type": 12}""")]
    [InlineData("""{"type": "strin"}""")]
    [InlineData("""{"properties": []}""")]
    [InlineData("""{"minLength": -1}""")]
    [InlineData("""{"$ref": "https://example.com/elsewhere.json"}""")]
    [InlineData("\"a string\"")]
    [InlineData("12")]
    public async Task refuses_a_schema_that_is_not_valid_with_400(string schemata)
    {
        await Api.RegisteredApplication();

        var answer = await Api.Post("/v1/actions", $$"""{"action":"user.created","application":"user-service","schemata":{{schemata}}}""");

        answer.ShouldBeProblem(400);
        answer.Errors.Select(e => e.Pointer).ShouldContain("/schemata");
        (await StoredActions()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_an_unknown_format_at_registration_naming_it()
    {
        await Api.RegisteredApplication();

        var answer = await Api.Post("/v1/actions", """
            {"action":"user.created","application":"user-service",
             "schemata":{"type":"object","properties":{"email":{"type":"string","format":"e-mail"}}}}
            """);

        answer.ShouldBeProblem(400).GetProperty("detail").GetString()!.ShouldContain("e-mail");
        (await StoredActions()).ShouldBe(0);
    }

    [Fact]
    public async Task does_not_mistake_data_named_format_for_a_format()
    {
        await Api.RegisteredApplication();

        await Api.DefinedAction("file.uploaded", JsonNode.Parse("""
            {"type":"object","properties":{"format":{"type":"string","enum":["png","jpeg"]}},"examples":[{"format":"png"}]}
            """)!);
    }

    [Theory]
    [InlineData("""{"action":"created","application":"user-service","schemata":{}}""", "/action")]
    [InlineData("""{"action":"User.Created","application":"user-service","schemata":{}}""", "/action")]
    [InlineData("""{"action":"user..created","application":"user-service","schemata":{}}""", "/action")]
    [InlineData("""{"application":"user-service","schemata":{}}""", "/action")]
    [InlineData("""{"action":"user.created","schemata":{}}""", "/application")]
    [InlineData("""{"action":"user.created","application":"user-service"}""", "/schemata")]
    [InlineData("""{"action":"user.created","application":"user-service","schemata":{},"stream":"id"}""", "/stream")]
    [InlineData("""{"action":"user.created","application":"user-service","schemata":{},"stream":""}""", "/stream")]
    [InlineData("""{"action":"user.created","application":"user-service","schemata":{},"stream":"/a\u0000b"}""", "/stream")]
    public async Task refuses_an_invalid_registration_with_400_naming_the_field(string body, string pointer)
    {
        await Api.RegisteredApplication();

        var answer = await Api.Post("/v1/actions", body);

        answer.ShouldBeProblem(400);
        answer.Errors.Select(e => e.Pointer).ShouldContain(pointer);
        (await StoredActions()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_an_unknown_application_with_404()
    {
        var answer = await Api.Post("/v1/actions", """{"action":"user.created","application":"nobody","schemata":{}}""");

        answer.ShouldBeProblem(404).GetProperty("detail").GetString()!.ShouldContain("nobody");
        (await StoredActions()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_a_duplicate_action_with_409_and_keeps_the_first()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Seed.UserCreatedSchema);

        var answer = await Api.Post("/v1/actions", """{"action":"user.created","application":"user-service","schemata":{}}""");

        answer.ShouldBeProblem(409);
        (await StoredActions()).ShouldBe(1);
        var stored = (await Api.Get("/v1/actions/user.created")).Data.GetProperty("schemata");
        JsonNode.DeepEquals(JsonNode.Parse(stored.GetRawText()), Seed.UserCreatedSchema).ShouldBeTrue();
    }
}

public sealed class when_reading_actions(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task lists_them_by_name_and_gets_one()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Seed.UserCreatedSchema);
        await Api.DefinedAction("order.placed", new JsonObject());

        var list = await Api.Get("/v1/actions");
        list.Data.EnumerateArray().Select(a => a.GetProperty("action").GetString()).ShouldBe(["order.placed", "user.created"]);

        var one = await Api.Get("/v1/actions/order.placed");
        ((int)one.Status).ShouldBe(200);
        one.Data.GetProperty("application").GetString().ShouldBe("user-service");
    }

    [Fact]
    public async Task answers_404_for_an_unknown_action()
    {
        (await Api.Get("/v1/actions/user.vanished")).ShouldBeProblem(404);
    }
}

public sealed class when_reading_action_versions(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task a_new_action_has_exactly_its_first_version()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Seed.UserCreatedSchema);

        var versions = await Api.Get("/v1/actions/user.created/versions");
        var first = await Api.Get("/v1/actions/user.created/versions/1");

        versions.Data.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ShouldBe([1]);
        first.Data.GetProperty("version").GetInt32().ShouldBe(1);
        JsonNode.DeepEquals(JsonNode.Parse(first.Data.GetProperty("schemata").GetRawText()), Seed.UserCreatedSchema).ShouldBeTrue();
    }

    [Theory]
    [InlineData("/v1/actions/user.created/versions/2")]
    [InlineData("/v1/actions/user.vanished/versions")]
    [InlineData("/v1/actions/user.vanished/versions/1")]
    public async Task answers_404_for_a_version_that_does_not_exist(string url)
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Seed.UserCreatedSchema);

        (await Api.Get(url)).ShouldBeProblem(404);
    }
}
