using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Events;

public sealed class when_publishing_a_batch(AmeboFixture fixture) : AmeboTest(fixture)
{
    private static JsonObject Item(string action, JsonNode payload) => new() { ["action"] = action, ["payload"] = payload };

    private static string Batch(params JsonObject[] items) => new JsonObject { ["events"] = new JsonArray(items) }.ToJsonString();

    [Fact]
    public async Task stores_every_event_and_answers_in_request_order()
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events/batch", Batch(
            Item("user.created", Seed.User("11111111-1111-4111-8111-111111111111", "one@example.com")),
            Item("user.created", Seed.User("22222222-2222-4222-8222-222222222222", "two@example.com")),
            Item("user.created", Seed.User("11111111-1111-4111-8111-111111111111", "one@example.com"))));

        ((int)answer.Status).ShouldBe(201, answer.Text);
        var results = answer.Data.EnumerateArray().ToList();
        results.Count.ShouldBe(3);
        results.Select(r => r.GetProperty("stream").GetString()).ShouldBe([
            "user:11111111-1111-4111-8111-111111111111", "user:22222222-2222-4222-8222-222222222222", "user:11111111-1111-4111-8111-111111111111"]);
        results.Select(r => r.GetProperty("version").GetInt64()).ShouldBe([1L, 1L, 2L]);
        var rowids = results.Select(r => r.GetProperty("rowid").GetInt64()).ToList();
        rowids.Distinct().Count().ShouldBe(3);
        rowids[2].ShouldBeGreaterThan(rowids[0]);
        (await StoredEvents()).ShouldBe(3);
    }

    [Fact]
    public async Task stores_nothing_when_one_event_is_invalid_and_lists_every_failure_by_index()
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events/batch", Batch(
            Item("user.created", Seed.User("11111111-1111-4111-8111-111111111111")),
            Item("user.created", Seed.User("22222222-2222-4222-8222-222222222222", "invalid-email")),
            Item("user.created", Seed.User("33333333-3333-4333-8333-333333333333")),
            Item("user.created", Seed.User("not-a-uuid", "also-invalid"))));

        answer.ShouldBeProblem(422);
        answer.Errors.Select(e => e.Pointer).ShouldBe(["/events/1/payload/email", "/events/3/payload/id", "/events/3/payload/email"], ignoreOrder: true);
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task reports_an_unknown_action_inside_a_batch_by_index()
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events/batch", Batch(
            Item("user.created", Seed.User("11111111-1111-4111-8111-111111111111")),
            Item("user.exploded", new JsonObject { ["id"] = "x" })));

        answer.ShouldBeProblem(422);
        answer.Errors.ShouldContain(e => e.Pointer == "/events/1/action" && e.Keyword == "action");
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_more_events_than_the_batch_limit_with_413()
    {
        await Api.SeedUserCreated();
        var items = Enumerable.Range(0, 1001).Select(i => Item("user.created", Seed.User(Guid.NewGuid().ToString()))).ToArray();

        var answer = await Api.Post("/v1/events/batch", Batch(items));

        answer.ShouldBeProblem(413).GetProperty("detail").GetString()!.ShouldContain("1000");
        (await StoredEvents()).ShouldBe(0);
    }

    [Theory]
    [InlineData("""{"events":[]}""")]
    [InlineData("""{}""")]
    [InlineData("""{"events":{}}""")]
    [InlineData("""{"events":[null]}""")]
    [InlineData("""{"events":[{"payload":{}}]}""")]
    [InlineData("""{"events":[""")]
    public async Task refuses_a_malformed_batch_with_400(string body)
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events/batch", body);

        answer.ShouldBeProblem(400);
        (await StoredEvents()).ShouldBe(0);
    }
}
