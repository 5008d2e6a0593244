using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Events;

public sealed class when_publishing_concurrently(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task two_hundred_publishes_to_one_stream_all_succeed_with_versions_1_to_200()
    {
        await Api.SeedUserCreated();
        var body = new JsonObject { ["action"] = "user.created", ["payload"] = Seed.Alice() }.ToJsonString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => Api.Post("/v1/events", body))));

        answers.Where(a => (int)a.Status != 201).Select(a => a.Text).ShouldBeEmpty();
        answers.Select(a => a.Data.GetProperty("version").GetInt64()).Order().ShouldBe(Enumerable.Range(1, 200).Select(v => (long)v));
        answers.Select(a => a.Data.GetProperty("rowid").GetInt64()).Distinct().Count().ShouldBe(200);
        (await StoredEvents()).ShouldBe(200);
        var stream = await Api.Get($"/v1/streams/user:{Seed.AliceId}?limit=1000");
        stream.Data.GetProperty("version").GetInt64().ShouldBe(200);
    }

    [Fact]
    public async Task concurrent_first_events_of_new_streams_all_succeed()
    {
        await Api.SeedUserCreated();
        var ids = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid().ToString()).ToList();
        var bodies = ids.SelectMany(id => Enumerable.Repeat(new JsonObject { ["action"] = "user.created", ["payload"] = Seed.User(id) }.ToJsonString(), 5));

        var answers = await Task.WhenAll(bodies.Select(b => Task.Run(() => Api.Post("/v1/events", b))));

        answers.Where(a => (int)a.Status != 201).Select(a => a.Text).ShouldBeEmpty();
        answers.GroupBy(a => a.Data.GetProperty("stream").GetString())
            .ShouldAllBe(g => g.Select(a => a.Data.GetProperty("version").GetInt64()).Order().SequenceEqual(new long[] { 1, 2, 3, 4, 5 }));
    }
}
