using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Events;

/// <summary>Inputs PostgreSQL or the JSON reader cannot take must come back as 4xx problems, never 500.</summary>
public sealed class when_sending_hostile_input(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task refuses_a_payload_holding_a_nul_character_with_422()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("note.taken", new JsonObject());

        var answer = await Api.Post("/v1/events", """{"action":"note.taken","payload":{"id":"n1","text":"a\u0000b"}}""");

        answer.ShouldBeProblem(422);
        answer.Errors.ShouldContain(e => e.Pointer == "/payload/text");
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task accepts_an_escaped_backslash_that_only_looks_like_a_nul()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("note.taken", new JsonObject());

        var data = await Api.Published("note.taken", JsonNode.Parse("""{"id":"n1","text":"C:\\u0000"}""")!);

        data.GetProperty("version").GetInt64().ShouldBe(1);
    }

    [Fact]
    public async Task refuses_a_schema_holding_a_nul_character_with_400()
    {
        await Api.RegisteredApplication();

        var answer = await Api.Post("/v1/actions", """{"action":"note.taken","application":"user-service","schemata":{"description":"a\u0000b"}}""");

        answer.ShouldBeProblem(400);
        (await StoredActions()).ShouldBe(0);
    }

    [Theory]
    [InlineData("/v1/events?stream=a%00b")]
    [InlineData("/v1/events?action=user.created%00")]
    [InlineData("/v1/applications?after=a%00")]
    [InlineData("/v1/actions?after=a%00")]
    public async Task refuses_a_nul_character_in_the_address_with_400(string url)
    {
        (await Api.Get(url)).ShouldBeProblem(400);
    }

    [Fact]
    public async Task refuses_json_nested_too_deeply_with_400()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("note.taken", new JsonObject());
        var deep = new string('[', 5000) + new string(']', 5000);

        var answer = await Api.Post("/v1/events", $$$"""{"action":"note.taken","payload":{"id":"n1","deep":{{{deep}}}}}""");

        answer.ShouldBeProblem(400);
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task answers_405_as_a_problem_for_a_wrong_method()
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, "/v1/events");

        (await Api.Send(request)).ShouldBeProblem(405);
    }
}
