using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.ReadModels;

public sealed class when_many_writers_race(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task the_async_projection_skips_no_event_committed_late()
    {
        await Api.RegisteredApplication();
        string[] actions = ["user.created", "user.profile_updated", "user.logged_in"];
        foreach (var action in actions) await Api.DefinedAction(action, new JsonObject());
        const int writers = 32;
        const int eachWrites = 100;

        // Writers share eight streams, so many appends race on the same stream while others commit around them.
        var answers = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var rowids = new List<long>();
            for (var n = 0; n < eachWrites; n++)
            {
                var action = actions[(w + n) % actions.Length];
                var data = await Api.Published(action, new JsonObject { ["id"] = $"shared-{(w * 7 + n) % 8}", ["n"] = n });
                rowids.Add(data.GetProperty("rowid").GetInt64());
            }
            return rowids;
        })));

        var last = answers.SelectMany(r => r).Max();
        var stats = await Api.Get($"/v1/projections/action-stats?wait_for={last}");
        ((int)stats.Status).ShouldBe(200, stats.Text);
        var counted = stats.Data.EnumerateArray().ToDictionary(s => s.GetProperty("action").GetString()!, s => s.GetProperty("count").GetInt64());
        foreach (var action in actions)
        {
            var stored = await Fixture.CountAsync($"select count(*) from amebo.mt_events where type in ('amebo_event', 'amebo_user_event') and data->>'action' = '{action}'");
            counted[action].ShouldBe(stored, action);
        }
        counted.Values.Sum().ShouldBe(writers * eachWrites);
    }
}
