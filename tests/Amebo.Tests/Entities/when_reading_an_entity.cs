using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Entities;

public sealed class when_reading_an_entity(AmeboFixture fixture) : AmeboTest(fixture)
{
    private static JsonNode State(Answer answer) => JsonNode.Parse(answer.Data.GetProperty("state").GetRawText())!;

    [Fact]
    public async Task folds_every_payload_of_its_stream_in_order()
    {
        await Seed.PublishUserLifecycle(Api);

        var answer = await Api.Get("/v1/entities/user/user-123");

        ((int)answer.Status).ShouldBe(200, answer.Text);
        answer.Data.GetProperty("stream").GetString().ShouldBe("user:user-123");
        answer.Data.GetProperty("version").GetInt64().ShouldBe(3);
        JsonNode.DeepEquals(State(answer), JsonNode.Parse("""
            {"id":"user-123","email":"john@example.com","verified_at":"2024-12-10T11:00:00Z","name":"John Doe"}
            """)).ShouldBeTrue(answer.Text);
    }

    [Fact]
    public async Task travels_back_to_a_version()
    {
        await Seed.PublishUserLifecycle(Api);

        var answer = await Api.Get("/v1/entities/user/user-123?version=1");

        answer.Data.GetProperty("version").GetInt64().ShouldBe(1);
        JsonNode.DeepEquals(State(answer), JsonNode.Parse("""{"id":"user-123","email":"john@example.com"}""")).ShouldBeTrue(answer.Text);
    }

    [Fact]
    public async Task travels_back_to_an_instant()
    {
        var published = await Seed.PublishUserLifecycle(Api);
        var second = published[1].GetProperty("timestamp").GetString();

        var answer = await Api.Get($"/v1/entities/user/user-123?at={Uri.EscapeDataString(second!)}");

        answer.Data.GetProperty("version").GetInt64().ShouldBe(2);
        State(answer)["verified_at"]!.GetValue<string>().ShouldBe("2024-12-10T11:00:00Z");
        State(answer)["name"].ShouldBeNull();
    }

    [Fact]
    public async Task removes_a_field_patched_with_null()
    {
        await Seed.PublishUserLifecycle(Api);
        await Api.Published("user.profile_updated", new JsonObject { ["id"] = "user-123", ["name"] = null });

        State(await Api.Get("/v1/entities/user/user-123")).AsObject().ContainsKey("name").ShouldBeFalse();
    }

    [Theory]
    [InlineData("/v1/entities/user/nobody")]
    [InlineData("/v1/entities/user/user-123?version=4")]
    [InlineData("/v1/entities/user/user-123?at=2000-01-01T00:00:00Z")]
    [InlineData("/v1/entities/User/user-123")]
    public async Task answers_404_for_an_entity_that_does_not_exist_then(string url)
    {
        await Seed.PublishUserLifecycle(Api);

        (await Api.Get(url)).ShouldBeProblem(404);
    }

    [Theory]
    [InlineData("/v1/entities/user/user-123?version=0")]
    [InlineData("/v1/entities/user/user-123?version=x")]
    [InlineData("/v1/entities/user/user-123?at=yesterday")]
    public async Task refuses_a_bad_question_with_400(string url)
    {
        await Seed.PublishUserLifecycle(Api);

        (await Api.Get(url)).ShouldBeProblem(400);
    }

    [Fact]
    public async Task needs_a_token()
    {
        (await Fixture.Anonymous().Get("/v1/entities/user/user-123")).ShouldBeProblem(401);
    }
}
