using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Events;

public sealed class when_publishing_with_an_expected_version(AmeboFixture fixture) : AmeboTest(fixture)
{
    private static string Event(long? expected, string stream = "user:alice")
    {
        var body = new JsonObject { ["action"] = "user.created", ["payload"] = Seed.Alice(), ["stream"] = stream };
        if (expected is not null) body["expected_version"] = expected;
        return body.ToJsonString();
    }

    [Fact]
    public async Task appends_when_the_stream_is_at_the_expected_version()
    {
        await Api.SeedUserCreated();

        var first = await Api.Post("/v1/events", Event(0));
        var second = await Api.Post("/v1/events", Event(1));

        ((int)first.Status).ShouldBe(201, first.Text);
        first.Data.GetProperty("version").GetInt64().ShouldBe(1);
        ((int)second.Status).ShouldBe(201, second.Text);
        second.Data.GetProperty("version").GetInt64().ShouldBe(2);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(5, 1)]
    public async Task refuses_another_version_with_409_naming_stream_expected_and_actual(long expected, long actual)
    {
        await Api.SeedUserCreated();
        await Api.Post("/v1/events", Event(null));

        var answer = await Api.Post("/v1/events", Event(expected));

        var body = answer.ShouldBeProblem(409);
        body.GetProperty("stream").GetString().ShouldBe("user:alice");
        body.GetProperty("expected_version").GetInt64().ShouldBe(expected);
        body.GetProperty("actual_version").GetInt64().ShouldBe(actual);
        body.GetProperty("detail").GetString()!.ShouldContain("user:alice");
        answer.Errors.ShouldContain(e => e.Pointer == "/expected_version");
        (await StoredEvents()).ShouldBe(1);
    }

    [Fact]
    public async Task expects_a_new_stream_to_be_at_zero()
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events", Event(2, "user:nobody-yet"));

        answer.ShouldBeProblem(409).GetProperty("actual_version").GetInt64().ShouldBe(0);
        (await StoredEvents()).ShouldBe(0);
        (await StoredStreams()).ShouldBe(0);
    }

    [Fact]
    public async Task of_racing_writers_with_the_same_expectation_exactly_one_wins()
    {
        await Api.SeedUserCreated();
        await Api.Post("/v1/events", Event(null));

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Api.Post("/v1/events", Event(1)))));

        answers.Count(a => (int)a.Status == 201).ShouldBe(1);
        answers.Count(a => (int)a.Status == 409).ShouldBe(15);
        (await StoredEvents()).ShouldBe(2);
    }

    [Fact]
    public async Task refuses_a_negative_expectation_with_400()
    {
        await Api.SeedUserCreated();

        (await Api.Post("/v1/events", Event(-1))).ShouldBeProblem(400);
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task checks_each_batch_item_and_stores_nothing_when_one_is_wrong()
    {
        await Api.SeedUserCreated();
        await Api.Post("/v1/events", Event(null, "user:a"));
        JsonNode Item(string stream, long? expected) => JsonNode.Parse(Event(expected, stream))!;

        var good = await Api.Post("/v1/events/batch", new JsonObject
        {
            ["events"] = new JsonArray(Item("user:a", 1), Item("user:a", 2), Item("user:b", 0)),
        }.ToJsonString());
        ((int)good.Status).ShouldBe(201, good.Text);
        good.Data.EnumerateArray().Select(e => e.GetProperty("version").GetInt64()).ShouldBe([2L, 3L, 1L]);

        var bad = await Api.Post("/v1/events/batch", new JsonObject
        {
            ["events"] = new JsonArray(Item("user:c", 0), Item("user:a", 1)),
        }.ToJsonString());
        var body = bad.ShouldBeProblem(409);
        body.GetProperty("stream").GetString().ShouldBe("user:a");
        body.GetProperty("actual_version").GetInt64().ShouldBe(3);
        bad.Errors.ShouldContain(e => e.Pointer == "/events/1/expected_version");
        (await StoredEvents()).ShouldBe(4);
        (await Api.Get("/v1/streams/user:c")).ShouldBeProblem(404);
    }
}
