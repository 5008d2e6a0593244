using System.Text.Json;
using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Events;

public sealed class when_reading_events(AmeboFixture fixture) : AmeboTest(fixture)
{
    private async Task<List<long>> PublishMixture()
    {
        await Api.SeedUserCreated();
        await Api.DefinedAction("order.placed", new JsonObject(), stream: "/order_id");
        var rowids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            rowids.Add((await Api.Published("user.created", Seed.User($"0000000{i}-0000-4000-8000-000000000000"))).GetProperty("rowid").GetInt64());
            rowids.Add((await Api.Published("order.placed", new JsonObject { ["order_id"] = "ord-1", ["n"] = i })).GetProperty("rowid").GetInt64());
        }
        return rowids;
    }

    private static List<long> Rowids(Answer answer) => answer.Data.EnumerateArray().Select(e => e.GetProperty("rowid").GetInt64()).ToList();

    [Fact]
    public async Task lists_every_event_in_rowid_order_with_its_payload()
    {
        var rowids = await PublishMixture();

        var answer = await Api.Get("/v1/events");

        Rowids(answer).ShouldBe(rowids);
        var first = answer.Data[0];
        first.GetProperty("action").GetString().ShouldBe("user.created");
        first.GetProperty("payload").GetProperty("email").GetString().ShouldBe("user@example.com");
        answer.Body.GetProperty("meta").GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task filters_by_action_and_by_stream()
    {
        var rowids = await PublishMixture();

        Rowids(await Api.Get("/v1/events?action=order.placed")).ShouldBe([rowids[1], rowids[3], rowids[5]]);
        Rowids(await Api.Get("/v1/events?stream=order:ord-1&action=order.placed")).ShouldBe([rowids[1], rowids[3], rowids[5]]);
        Rowids(await Api.Get("/v1/events?stream=user:00000001-0000-4000-8000-000000000000")).ShouldBe([rowids[2]]);
        Rowids(await Api.Get("/v1/events?action=user.vanished")).ShouldBeEmpty();
    }

    [Fact]
    public async Task pages_with_after_and_limit_until_next_is_null()
    {
        var rowids = await PublishMixture();
        var seen = new List<long>();
        var url = "/v1/events?limit=4";

        while (true)
        {
            var page = await Api.Get(url);
            seen.AddRange(Rowids(page));
            var next = page.Body.GetProperty("meta").GetProperty("next");
            if (next.ValueKind == JsonValueKind.Null) break;
            url = $"/v1/events?limit=4&after={next.GetString()}";
        }

        seen.ShouldBe(rowids);
    }

    [Fact]
    public async Task gets_one_event_by_rowid()
    {
        var rowids = await PublishMixture();

        var answer = await Api.Get($"/v1/events/{rowids[1]}");

        answer.Data.GetProperty("rowid").GetInt64().ShouldBe(rowids[1]);
        answer.Data.GetProperty("stream").GetString().ShouldBe("order:ord-1");
        answer.Data.GetProperty("version").GetInt64().ShouldBe(1);
        answer.Data.GetProperty("schema_version").GetInt32().ShouldBe(1);
    }

    [Theory]
    [InlineData("/v1/events/999999")]
    [InlineData("/v1/events/not-a-number")]
    public async Task answers_404_for_an_unknown_rowid(string url)
    {
        (await Api.Get(url)).ShouldBeProblem(404);
    }

    [Theory]
    [InlineData("/v1/events?after=-1")]
    [InlineData("/v1/events?after=abc")]
    [InlineData("/v1/events?limit=0")]
    [InlineData("/v1/events?limit=5000")]
    public async Task refuses_bad_paging_with_400(string url)
    {
        (await Api.Get(url)).ShouldBeProblem(400);
    }
}
